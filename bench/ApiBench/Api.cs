using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

using KvCluster.Bench;

namespace KvCluster.ApiBench;

/// <summary>What every workload shares: the target, the common flags, a run id for unique names, and REST helpers.</summary>
internal sealed class Api
{
    public Api(KubeTarget target, Options opts)
    {
        Target = target;
        Namespace = opts.Get("namespace", "apibench");
        Http2 = opts.Flag("http2");
        Timeout = TimeSpan.FromSeconds(opts.Int("timeout-seconds", 60));
        Run = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
    }

    public KubeTarget Target { get; }

    public string Namespace { get; }

    public bool Http2 { get; }

    public TimeSpan Timeout { get; }

    /// <summary>6 hex digits, different on every run: part of every name this run creates, and its apibench/run label.</summary>
    public string Run { get; }

    public string Pods => $"api/v1/namespaces/{Namespace}/pods";

    public string ConfigMaps => $"api/v1/namespaces/{Namespace}/configmaps";

    public HttpClient Client(int connections) => Target.CreateClient(connections, Http2, Timeout);

    public void Describe(Report report)
    {
        report.Json["server"] = Target.Server.ToString().TrimEnd('/');
        report.Json["namespace"] = Namespace;
        report.Json["http2"] = Http2;
        report.Json["run"] = Run;
    }

    public static HttpContent JsonBody(byte[] body, string mediaType = "application/json") =>
        new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue(mediaType) } };

    /// <summary>Opens up to <paramref name="connections"/> connections (TLS handshakes included) before any timing starts.</summary>
    public static async Task WarmUpAsync(HttpClient http, int connections)
    {
        await Task.WhenAll(Enumerable.Range(0, connections).Select(async _ =>
        {
            using var response = await http.GetAsync("version");
        }));
    }

    /// <summary>Creates the namespace unless it exists.</summary>
    public async Task EnsureNamespaceAsync(HttpClient http)
    {
        using (var get = await http.GetAsync($"api/v1/namespaces/{Namespace}"))
        {
            if (get.IsSuccessStatusCode)
            {
                return;
            }

            if (get.StatusCode != HttpStatusCode.NotFound)
            {
                throw new InvalidOperationException($"GET namespace {Namespace}: {(int)get.StatusCode} {await get.Content.ReadAsStringAsync()}");
            }
        }

        var body = Encoding.UTF8.GetBytes($$$"""{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"{{{Namespace}}}"}}""");
        using var create = await http.PostAsync("api/v1/namespaces", JsonBody(body));
        if (!create.IsSuccessStatusCode && create.StatusCode != HttpStatusCode.Conflict)
        {
            throw new InvalidOperationException($"create namespace {Namespace}: {(int)create.StatusCode} {await create.Content.ReadAsStringAsync()}");
        }
    }

    /// <summary>How many objects a list holds (one item read, plus remainingItemCount), and the list's resourceVersion.</summary>
    public static async Task<(long Count, string ResourceVersion)> CountAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path + "?limit=1");
        var text = await response.Content.ReadAsStringAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {text}");
        }

        using var doc = JsonDocument.Parse(text);
        var meta = doc.RootElement.GetProperty("metadata");
        var items = doc.RootElement.TryGetProperty("items", out var i) && i.ValueKind == JsonValueKind.Array ? i.GetArrayLength() : 0;
        var remaining = meta.TryGetProperty("remainingItemCount", out var r) ? r.GetInt64() : 0;
        if (meta.TryGetProperty("continue", out var c) && c.GetString() is { Length: > 0 } && remaining == 0)
        {
            // A server that does not count the rest: list by pages.
            return ((await NamesAsync(http, path)).Count, meta.GetProperty("resourceVersion").GetString() ?? "");
        }

        return (items + remaining, meta.GetProperty("resourceVersion").GetString() ?? "");
    }

    /// <summary>The resourceVersion of a list at resourceVersion=0 (served from the watch cache), and its item count.</summary>
    public static async Task<(long Count, string ResourceVersion)> CachedListVersionAsync(HttpClient http, string path)
    {
        using var response = await http.GetAsync(path + "?resourceVersion=0");
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"GET {path}?resourceVersion=0: {(int)response.StatusCode} {Encoding.UTF8.GetString(bytes)}");
        }

        using var doc = JsonDocument.Parse(bytes);
        return (doc.RootElement.GetProperty("items").GetArrayLength(), doc.RootElement.GetProperty("metadata").GetProperty("resourceVersion").GetString() ?? "");
    }

    /// <summary>The names of every object of a list, read in pages of 500.</summary>
    public static async Task<List<string>> NamesAsync(HttpClient http, string path)
    {
        var names = new List<string>();
        string? next = null;
        do
        {
            using var response = await http.GetAsync(path + "?limit=500" + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next)));
            var bytes = await response.Content.ReadAsByteArrayAsync();
            if (!response.IsSuccessStatusCode)
            {
                throw new InvalidOperationException($"GET {path}: {(int)response.StatusCode} {Encoding.UTF8.GetString(bytes)}");
            }

            using var doc = JsonDocument.Parse(bytes);
            foreach (var item in doc.RootElement.GetProperty("items").EnumerateArray())
            {
                names.Add(item.GetProperty("metadata").GetProperty("name").GetString()!);
            }

            next = doc.RootElement.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
        }
        while (!string.IsNullOrEmpty(next));
        return names;
    }

    /// <summary>One request; true when it answered <paramref name="expected"/>, else the failure is counted by HTTP code (or exception type).</summary>
    public static async Task<bool> SendAsync(HttpClient http, HttpRequestMessage request, HttpStatusCode expected, ErrorCounter errors)
    {
        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseContentRead);
            if (response.StatusCode == expected)
            {
                return true;
            }

            errors.Add(((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync());
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            errors.Add("exception:" + e.GetType().Name, e.Message);
            return false;
        }
    }
}

/// <summary>
/// Closed loop, as kvbench: <c>clients</c> tasks, each sending its next request as soon as the last
/// one answered, until <c>total</c> requests. Latencies of the successful requests only (failures
/// are counted by code), from just before the send until the whole response body has been read.
/// </summary>
internal static class ClosedLoop
{
    public sealed record Result(long[] Sorted, ErrorCounter Errors, TimeSpan Elapsed, int Total);

    public static async Task<Result> RunAsync(string label, HttpClient http, int total, int clients, Func<int, HttpRequestMessage> request, HttpStatusCode expected)
    {
        var samples = new Samples(total);
        var errors = new ErrorCounter();
        int next = -1, done = 0;
        var sw = Stopwatch.StartNew();

        async Task ClientAsync()
        {
            while (true)
            {
                var n = Interlocked.Increment(ref next);
                if (n >= total)
                {
                    return;
                }

                using var message = request(n);
                var start = Stopwatch.GetTimestamp();
                if (await Api.SendAsync(http, message, expected, errors))
                {
                    samples.Add(Stopwatch.GetTimestamp() - start);
                }

                Interlocked.Increment(ref done);
            }
        }

        using (new Progress(() =>
        {
            var d = Volatile.Read(ref done);
            return $"{label} {d}/{total} ({100.0 * d / Math.Max(total, 1):F1}%) {d / sw.Elapsed.TotalSeconds:N0} req/s, {errors.Total} errors";
        }))
        {
            await Task.WhenAll(Enumerable.Range(0, Math.Max(1, clients)).Select(_ => Task.Run(ClientAsync)));
        }

        return new Result(samples.Sorted(), errors, sw.Elapsed, total);
    }
}
