using System.Text.Json;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Kubelet;

/// <summary>
/// A kubelet's refusal as the client sees it (Kubernetes' GenericHttpResponseChecker): 400 and 500
/// keep the kubelet's text as their message; other codes get client-go's generic wording with the
/// resource and name, and the text as an UnexpectedServerResponse cause.
/// </summary>
public static class KubeletErrors
{
    /// <summary>How much of a refusal's body is read (as kube-apiserver does).</summary>
    public const int MaxBody = 50_000;

    public static async Task<ApiException> FromResponseAsync(HttpResponseMessage response, string resource, string name, CancellationToken ct)
    {
        var body = new byte[MaxBody];
        var length = 0;
        await using (var stream = await response.Content.ReadAsStreamAsync(ct))
        {
            int n;
            while (length < body.Length && (n = await stream.ReadAsync(body.AsMemory(length), ct)) > 0)
            {
                length += n;
            }
        }

        return FromResponse((int)response.StatusCode, Text(body.AsSpan(0, length)), resource, name);
    }

    /// <summary>The body as text; a metav1 Status body (a kubelet may answer one) stands for its message.</summary>
    private static string Text(ReadOnlySpan<byte> body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject { } o && o["kind"]?.GetValue<string>() == "Status" && o["message"]?.GetValue<string>() is { } message)
            {
                return message;
            }
        }
        catch (JsonException)
        {
            // Plain text, as kubelets answer.
        }
        catch (InvalidOperationException)
        {
            // A "message" that is not a string.
        }

        return System.Text.Encoding.UTF8.GetString(body);
    }

    public static ApiException FromResponse(int code, string text, string resource, string name)
    {
        switch (code)
        {
            case 500:
                return new ApiException(500, "InternalError", "Internal error occurred: " + text) { Details = new JsonObject { ["causes"] = new JsonArray(new JsonObject { ["message"] = text }) } };
            case 400:
                return ApiException.BadRequest(text);
        }

        var (reason, message) = code switch
        {
            401 => ("Unauthorized", "the server has asked for the client to provide credentials"),
            403 => ("Forbidden", text),
            404 => ("NotFound", "the server could not find the requested resource"),
            405 => ("MethodNotAllowed", "the server does not allow this method on the requested resource"),
            406 => ("NotAcceptable", text.Length == 0 ? "the server was unable to respond with a content type that the client supports" : text),
            409 => ("Conflict", "the server reported a conflict"),
            415 => ("UnsupportedMediaType", text),
            422 => ("Invalid", "the server rejected our request due to an error in our request"),
            429 => ("TooManyRequests", "the server has received too many requests and has asked us to try again later"),
            503 => ("ServiceUnavailable", "the server is currently unable to handle the request"),
            504 => ("Timeout", "the server was unable to return a response in the time allotted, but may still be processing the request"),
            >= 500 => ("InternalError", $"an error on the server ({GoQuoted(text)}) has prevented the request from succeeding"),
            _ => ("", $"the server responded with the status code {code} but did not return more information"),
        };

        // client-go writes the verb (empty here) and the resource after the message: "( pods/log nginx)".
        var details = new JsonObject { ["name"] = name, ["kind"] = resource };
        if (text.Length > 0)
        {
            details["causes"] = new JsonArray(new JsonObject { ["reason"] = "UnexpectedServerResponse", ["message"] = text });
        }

        return new ApiException(code, reason, $"{message} ( {resource} {name})") { Details = details };
    }

    private static string GoQuoted(string s) => "\"" + s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal) + "\"";
}
