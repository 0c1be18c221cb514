using System.Text.Json;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace KvCluster.ApiServer.Http;

/// <summary>Reading request bodies (JSON or YAML, at most 3 MiB) and writing JSON answers and Status errors.</summary>
internal static class Json
{
    public const long MaxBody = 3L << 20;

    public static async Task<byte[]> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBody)
        {
            throw ApiException.TooLarge();
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int n;
        while ((n = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > MaxBody)
            {
                throw ApiException.TooLarge();
            }
        }

        return buffer.ToArray();
    }

    /// <summary>
    /// A request body as a JSON object: application/json, or YAML (application/yaml). A field given
    /// twice keeps its last value, as Go's decoder does; its path goes to <paramref name="duplicates"/>
    /// (for fieldValidation).
    /// </summary>
    public static JsonObject ParseObject(byte[] body, string? contentType, List<string>? duplicates = null)
    {
        var media = MediaType(contentType);
        if (media == Protobuf.KubeProtobuf.ContentType)
        {
            return Protobuf.KubeProtobuf.Decode(body);
        }

        if (media is "application/yaml" or "application/apply-patch+yaml")
        {
            body = Yaml.ToJson(body);
        }
        else if (media is not ("application/json" or "" or "*/*"))
        {
            throw ApiException.UnsupportedMediaType(contentType ?? "");
        }

        try
        {
            using var doc = JsonDocument.Parse(body);
            return ToNode(doc.RootElement, "", duplicates ?? []) as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("the object provided is unrecognized: " + e.Message);
        }
    }

    private static JsonNode? ToNode(JsonElement e, string path, List<string> duplicates)
    {
        switch (e.ValueKind)
        {
            case JsonValueKind.Object:
                var o = new JsonObject();
                foreach (var p in e.EnumerateObject())
                {
                    string at = path.Length == 0 ? p.Name : $"{path}.{p.Name}";
                    if (o.ContainsKey(p.Name))
                    {
                        duplicates.Add(at);
                    }

                    o[p.Name] = ToNode(p.Value, at, duplicates);
                }

                return o;
            case JsonValueKind.Array:
                var a = new JsonArray();
                int i = 0;
                foreach (var item in e.EnumerateArray())
                {
                    a.Add(ToNode(item, $"{path}[{i++}]", duplicates));
                }

                return a;
            case JsonValueKind.Null:
                return null;
            default:
                return JsonNode.Parse(e.GetRawText());
        }
    }

    public static string MediaType(string? contentType) =>
        (contentType ?? "").Split(';')[0].Trim().ToLowerInvariant();

    public static async Task WriteAsync(HttpContext ctx, int status, JsonNode body, string contentType = "application/json")
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = contentType;
        await ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(body), ctx.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext ctx, ApiException e) => WriteAsync(ctx, e.Code, e.ToStatus());

    /// <summary>Status "Success", the answer to a delete of kinds that do not return the object.</summary>
    public static JsonObject Success(ResourceKind kind, string name, string? uid)
    {
        var details = new JsonObject { ["name"] = name };
        if (kind.Group.Length > 0)
        {
            details["group"] = kind.Group;
        }

        details["kind"] = kind.Plural;
        details["uid"] = uid;
        return new JsonObject { ["kind"] = "Status", ["apiVersion"] = "v1", ["metadata"] = new JsonObject(), ["status"] = "Success", ["details"] = details };
    }
}
