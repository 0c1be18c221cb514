using System.Diagnostics;
using KvCluster.JepsenLite.Cluster;
using KvCluster.JepsenLite.History;
using KvCluster.JepsenLite.Nemesis;
using KvCluster.JepsenLite.Workloads;

namespace KvCluster.JepsenLite.Run;

/// <summary>
/// `jepsen-lite run`: starts a fresh local cluster, drives --concurrency clients for --time while the
/// nemesis injects faults, heals everything, does the final reads, stops every process it started,
/// then checks the history. Writes DIR/history.jsonl, DIR/members/*.log and DIR/report.html; prints
/// progress once a second on stderr and one summary line on stdout.
/// </summary>
public static class RunCommand
{
    /// <returns>0 valid, 1 invalid, 2 unknown (or the run could not be made).</returns>
    public static async Task<int> RunAsync(RunOptions o, TextWriter output, TextWriter progress, CancellationToken ct)
    {
        Directory.CreateDirectory(o.Out);
        var historyPath = Path.Combine(o.Out, "history.jsonl");
        var rng = new Random(o.Seed);
        progress.WriteLine($"jepsen-lite: {o.Target.ToString().ToLowerInvariant()} × {o.Nodes}, workload {o.Workload}, nemesis {string.Join(",", o.Nemesis.Order())}, {o.Concurrency} clients, {o.Time.TotalSeconds:0} s, seed {o.Seed}, out {o.Out}");
        var latencies = new Latencies();
        int faults, unhealthy;
        using (var writer = new HistoryWriter(historyPath))
        {
            var history = new CountingHistory(writer);
            await using var cluster = new LocalCluster(o.Target, o.Binary, o.Nodes, o.Out, o.HeartbeatMs, o.ElectionMs);
            progress.WriteLine("starting the cluster");
            await cluster.StartAsync(TimeSpan.FromSeconds(60), ct);
            progress.WriteLine($"cluster healthy: {string.Join(" ", cluster.Members.Select(m => $"{m.Name}={m.ClientUrl}"))}");
            IWorkload workload = o.Workload switch
            {
                "register" => new RegisterWorkload(cluster, history, latencies, o.Keys, o.SerializableReads),
                "set" => new SetWorkload(cluster, history, latencies),
                "watch" => new WatchWorkload(cluster, history, latencies, o.Keys),
                "lease" => new LeaseWorkload(cluster, history, latencies),
                _ => throw new ArgumentException($"--workload {o.Workload}: register, set, watch or lease"),
            };
            var nemesis = new FaultInjector(cluster, o.Nemesis, new Random(rng.Next()), history, line => progress.WriteLine($"[{Elapsed(writer)}] {line}"));
            using (var stop = CancellationTokenSource.CreateLinkedTokenSource(ct))
            {
                stop.CancelAfter(o.Time);
                var clients = Enumerable.Range(0, o.Concurrency).Select(w =>
                {
                    var clientRng = new Random(rng.Next());
                    return Task.Run(() => workload.ClientAsync(w, o.Concurrency, clientRng, stop.Token));
                }).ToArray();
                var faultsTask = nemesis.RunAsync(stop.Token);
                var reporter = ReportProgressAsync(history, writer, progress, stop.Token);
                await Task.WhenAll(clients);
                await faultsTask;
                await reporter;
            }

            progress.WriteLine($"[{Elapsed(writer)}] healing and final reads");
            using var final = CancellationTokenSource.CreateLinkedTokenSource(ct);
            final.CancelAfter(TimeSpan.FromSeconds(90));
            await nemesis.HealAllAsync(final.Token);
            await workload.FinalAsync(o.Concurrency * 1_000_000, final.Token);
            faults = nemesis.Injected;
            unhealthy = nemesis.UnhealthyAfterHeal;
            progress.WriteLine($"[{Elapsed(writer)}] stopping the cluster");
        }

        // The members' data is not needed once they are stopped (unless asked for); their logs stay.
        if (!o.KeepData)
        {
            TryDelete(Path.Combine(o.Out, "data"));
        }
        using var checkOutput = new StringWriter();
        var code = Checker.CheckCommand.Run(historyPath, o.Workload, o.CheckLimit, checkOutput, Path.Combine(o.Out, "report.html"));
        output.WriteLine($"{checkOutput.ToString().Trim()}; faults {faults}{(unhealthy > 0 ? $" ({unhealthy} not healthy 30 s after healing)" : "")}; latency ms p50 {latencies.Percentile(0.5):0.0} p99 {latencies.Percentile(0.99):0.0} max {latencies.Percentile(1):0.0}; {o.Out}");
        return code;
    }

    private static string Elapsed(HistoryWriter w) => $"{w.Now / 1e9,5:0}s";

    private static async Task ReportProgressAsync(CountingHistory h, HistoryWriter w, TextWriter progress, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(1000, ct);
                progress.WriteLine($"[{Elapsed(w)}] ok {h.Ok} fail {h.Fail} info {h.Info}");
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
        }
    }
}
