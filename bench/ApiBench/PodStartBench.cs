using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using KvCluster.Bench;

namespace KvCluster.ApiBench;

/// <summary>
/// podstart: pod start latency on a node, as Kubernetes' pod startup SLI measures it: from the create
/// request to the pod observed Running through a watch (busybox, already present: no pull). --pods pods
/// are created at --rate per second (0: all at once, --clients at a time) with spec.nodeName --node (--node ""
/// leaves it empty, for the scheduler to choose); then they are deleted (graceful, as kubectl does) and the
/// time until the last is gone is reported.
/// </summary>
internal sealed class PodStartBench(Api api, Options opts) : IWorkload
{
    private readonly int _pods = opts.Int("pods", 100);
    private readonly int _rate = opts.Int("rate", 0);
    private readonly int _clients = opts.Int("clients", 8);
    private readonly string _node = opts.Get("node", "local");
    private readonly bool _keep = opts.Flag("keep");
    private readonly ConcurrentDictionary<string, long> _created = new();
    private readonly ConcurrentDictionary<string, long> _running = new();
    private readonly ConcurrentDictionary<string, bool> _gone = new();

    public async Task<Report> RunAsync()
    {
        using var http = api.Client(_clients + 1);
        await api.EnsureNamespaceAsync(http);
        using var watchHttp = api.Client(1);
        watchHttp.Timeout = Timeout.InfiniteTimeSpan;
        using var stop = new CancellationTokenSource();
        var (_, rv) = await Api.CountAsync(http, api.Pods);
        var watch = WatchAsync(watchHttp, rv, stop.Token);
        var errors = new ErrorCounter();
        var sw = Stopwatch.StartNew();
        using (new Progress(() => $"podstart: created {_created.Count}/{_pods}, running {_running.Count}, {sw.Elapsed.TotalSeconds:0}s"))
        {
            await CreateAllAsync(http, errors);
            var deadline = DateTime.UtcNow + api.Timeout;
            while (_running.Count < _pods - errors.Total && DateTime.UtcNow < deadline)
            {
                await Task.Delay(50);
            }
        }

        var createSeconds = sw.Elapsed.TotalSeconds;
        var latencies = _running.Select(kv => kv.Value - _created[kv.Key]).Order().ToArray();
        var report = new Report();
        api.Describe(report);
        report.Json["workload"] = "podstart";
        report.Json["pods"] = _pods;
        report.Json["node"] = _node;
        report.Json["rate"] = _rate;
        report.Json["running"] = latencies.Length;
        Samples.Describe(latencies, report.Json, "start_");
        // Each pod's latency in the order created (null: never seen Running), to tell a slow start from a late backlog.
        report.Json["start_ms_in_creation_order"] = _created.OrderBy(kv => kv.Value)
            .Select(kv => _running.TryGetValue(kv.Key, out var r) ? Samples.Ms(r - kv.Value) : (double?)null).ToArray();
        report.Lines.Add($"podstart: {latencies.Length}/{_pods} pods Running on {(_node.Length == 0 ? "the nodes the scheduler chose" : _node)} in {createSeconds:0.0} s (rate {(_rate == 0 ? $"all at once, {_clients} clients" : _rate + "/s")})");
        report.Lines.Add($"  create → Running (watch), ms: {Samples.Line(latencies)}");
        report.Errors = errors.Total + (_pods - latencies.Length);
        report.Lines.AddRange(errors.Describe());
        if (!_keep)
        {
            var delete = await DeleteAllAsync(http);
            report.Json["delete_all_seconds"] = Math.Round(delete, 2);
            report.Lines.Add($"  deleted all {_pods} (graceful, until the last was gone): {delete:0.0} s");
        }

        await stop.CancelAsync();
        await watch;
        return report;
    }

    private async Task CreateAllAsync(HttpClient http, ErrorCounter errors)
    {
        var next = 0;
        var started = Stopwatch.GetTimestamp();
        // The spec's opening: with the node named, or left for the scheduler.
        var specStart = _node.Length == 0 ? "{" : $"{{\"nodeName\":\"{_node}\",";
        async Task Client()
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next) - 1;
                if (i >= _pods)
                {
                    return;
                }

                if (_rate > 0)
                {
                    var due = started + (long)(i * (double)Stopwatch.Frequency / _rate);
                    var wait = due - Stopwatch.GetTimestamp();
                    if (wait > 0)
                    {
                        await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency));
                    }
                }

                var name = $"start-{api.Run}-{i:D5}";
                var body = Encoding.UTF8.GetBytes($$$"""
                    {"apiVersion":"v1","kind":"Pod","metadata":{"name":"{{{name}}}","labels":{"{{{PodTemplate.RunLabel}}}":"{{{api.Run}}}"}},
                     "spec":{{{specStart}}}"terminationGracePeriodSeconds":1,"containers":[{"name":"c","image":"busybox","command":["sleep","3600"]}]}}
                    """);
                _created[name] = Stopwatch.GetTimestamp();
                using var response = await http.PostAsync(api.Pods, Api.JsonBody(body));
                if (!response.IsSuccessStatusCode)
                {
                    errors.Add(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync());
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, _rate > 0 ? Math.Max(_clients, 1) : _clients).Select(_ => Client()));
    }

    private async Task<double> DeleteAllAsync(HttpClient http)
    {
        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(_created.Keys, new ParallelOptions { MaxDegreeOfParallelism = _clients }, async (name, ct) =>
        {
            using var response = await http.DeleteAsync($"{api.Pods}/{name}", ct);
        });
        var deadline = DateTime.UtcNow + api.Timeout;
        while (_gone.Count < _created.Count && DateTime.UtcNow < deadline)
        {
            await Task.Delay(50);
        }

        return sw.Elapsed.TotalSeconds;
    }

    private async Task WatchAsync(HttpClient http, string rv, CancellationToken ct)
    {
        try
        {
            var url = $"{api.Pods}?watch=1&resourceVersion={rv}&labelSelector={Uri.EscapeDataString($"{PodTemplate.RunLabel}={api.Run}")}";
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(ct));
            while (await reader.ReadLineAsync(ct) is { } line)
            {
                var now = Stopwatch.GetTimestamp();
                using var doc = JsonDocument.Parse(line);
                var type = doc.RootElement.GetProperty("type").GetString();
                var obj = doc.RootElement.GetProperty("object");
                var name = obj.GetProperty("metadata").GetProperty("name").GetString()!;
                if (type == "DELETED")
                {
                    _gone[name] = true;
                }
                else if (obj.TryGetProperty("status", out var status) && status.TryGetProperty("phase", out var phase) && phase.GetString() == "Running")
                {
                    _running.TryAdd(name, now);
                }
            }
        }
        catch (Exception) when (ct.IsCancellationRequested)
        {
        }
    }
}
