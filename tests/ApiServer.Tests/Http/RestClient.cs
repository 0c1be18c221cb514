using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Http;

/// <summary>Plain REST calls to a test apiserver, answering (status code, JSON body).</summary>
public sealed class RestClient(ApiServerProcess server, bool authenticated = true) : IDisposable
{
    private readonly HttpClient _http = server.Http(authenticated);

    public async Task<(HttpStatusCode Code, JsonObject Body)> SendAsync(HttpMethod method, string path, string? body = null, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path);
        if (body is not null)
        {
            request.Content = new StringContent(body, Encoding.UTF8);
            request.Content.Headers.ContentType = System.Net.Http.Headers.MediaTypeHeaderValue.Parse(contentType);
        }

        using var response = await _http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, text.Length == 0 ? [] : (JsonNode.Parse(text) as JsonObject ?? []));
    }

    public Task<(HttpStatusCode Code, JsonObject Body)> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    public Task<(HttpStatusCode Code, JsonObject Body)> PostAsync(string path, JsonObject body) => SendAsync(HttpMethod.Post, path, body.ToJsonString());

    public Task<(HttpStatusCode Code, JsonObject Body)> PutAsync(string path, JsonObject body) => SendAsync(HttpMethod.Put, path, body.ToJsonString());

    public Task<(HttpStatusCode Code, JsonObject Body)> MergePatchAsync(string path, string patch) => SendAsync(HttpMethod.Patch, path, patch, "application/merge-patch+json");

    /// <summary>Reads a watch (watch=1 plus <paramref name="query"/>) until the server ends it; returns its event lines.</summary>
    public async Task<List<JsonObject>> WatchAsync(string path, string query)
    {
        using var response = await _http.GetAsync($"{path}?watch=1&{query}", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<JsonObject>();
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length > 0)
            {
                events.Add((JsonObject)JsonNode.Parse(line)!);
            }
        }

        return events;
    }

    public async Task<string> CreateNamespaceAsync()
    {
        var ns = Names.Unique("rest");
        var (code, body) = await PostAsync("/api/v1/namespaces", new JsonObject { ["metadata"] = new JsonObject { ["name"] = ns } });
        Assert.True(code == HttpStatusCode.Created, body.ToJsonString());
        return ns;
    }

    public static JsonObject ConfigMap(string name, string key = "k", string value = "v") => new()
    {
        ["apiVersion"] = "v1",
        ["kind"] = "ConfigMap",
        ["metadata"] = new JsonObject { ["name"] = name },
        ["data"] = new JsonObject { [key] = value },
    };

    public void Dispose() => _http.Dispose();
}
