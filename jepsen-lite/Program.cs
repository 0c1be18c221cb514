using System.CommandLine;
using KvCluster.JepsenLite.Cluster;
using KvCluster.JepsenLite.Run;

// jepsen-lite: starts a local etcd-v3 cluster (KvCluster's kvserver, or a real etcd as the control),
// drives concurrent clients while injecting faults, records the history and checks it.
//   jepsen-lite run --target kvcluster|etcd --nodes 3|5 --time 60s --workload register|set
//                   --nemesis kill,pause,partition --concurrency 10 --seed N --out DIR
//   jepsen-lite check FILE --workload register|set
var root = new RootCommand("jepsen-lite: fault injection and linearizability checking for etcd-v3 clusters");

var target = new Option<string>("--target") { Description = "kvcluster or etcd", DefaultValueFactory = _ => "kvcluster" };
var nodes = new Option<int>("--nodes") { Description = "members (3 or 5)", DefaultValueFactory = _ => 3 };
var time = new Option<string>("--time") { Description = "how long clients run, e.g. 60s or 5m", DefaultValueFactory = _ => "60s" };
var workload = new Option<string>("--workload") { Description = "register, set, watch or lease", DefaultValueFactory = _ => "register" };
var nemesis = new Option<string>("--nemesis") { Description = "comma-separated faults: kill, pause, partition, proxy-delay, proxy-drop; none for no faults", DefaultValueFactory = _ => "kill,pause,partition" };
var concurrency = new Option<int>("--concurrency") { Description = "client workers", DefaultValueFactory = _ => 10 };
var seed = new Option<int?>("--seed") { Description = "random seed (faults, keys, values); default: from the clock" };
var outDir = new Option<string?>("--out") { Description = "run directory (history.jsonl, members/*.log, report.html); default jepsen-lite/runs/<time>-<target>-<workload>" };
var keys = new Option<int>("--keys") { Description = "register keys", DefaultValueFactory = _ => 8 };
var serializable = new Option<bool>("--serializable-reads") { Description = "register reads with etcd's serializable flag (may be stale: the checker should find it)" };
var binary = new Option<string?>("--binary") { Description = "kvserver.dll (default: src/KvServer/bin/Release/net10.0/kvserver.dll from the repository) or the etcd binary (default /usr/bin/etcd)" };
var heartbeat = new Option<int>("--heartbeat-interval") { Description = "ms, for both targets", DefaultValueFactory = _ => 100 };
var election = new Option<int>("--election-timeout") { Description = "ms, for both targets", DefaultValueFactory = _ => 1000 };
var keepData = new Option<bool>("--keep-data") { Description = "keep the members' data dirs (Raft logs, stores) under DIR/data after the run" };
var run = new Command("run", "Starts a cluster, runs a workload under faults, checks the history.");
foreach (var o in new Option[] { target, nodes, time, workload, nemesis, concurrency, seed, outDir, keys, serializable, binary, heartbeat, election, keepData })
{
    run.Options.Add(o);
}

run.SetAction(async (r, ct) =>
{
    try
    {
        var t = r.GetValue(target) switch
        {
            "kvcluster" => Target.KvCluster,
            "etcd" => Target.Etcd,
            var other => throw new ArgumentException($"--target {other}: kvcluster or etcd"),
        };
        var w = r.GetValue(workload)!;
        var options = new RunOptions
        {
            Target = t,
            Nodes = r.GetValue(nodes) is var n and >= 1 and <= 9 ? n : throw new ArgumentException("--nodes: 1 to 9"),
            Time = Durations.Parse(r.GetValue(time)!),
            Workload = w,
            Nemesis = r.GetValue(nemesis) is "none" or "" ? new HashSet<string>() : r.GetValue(nemesis)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(Nemeses.Check).ToHashSet(),
            Concurrency = Math.Max(1, r.GetValue(concurrency)),
            Seed = r.GetValue(seed) ?? Environment.TickCount,
            Out = r.GetValue(outDir) ?? Path.Combine(Repo.Root(), "jepsen-lite", "runs", $"{DateTime.UtcNow:yyyyMMdd-HHmmss}-{r.GetValue(target)}-{w}"),
            Keys = Math.Max(1, r.GetValue(keys)),
            SerializableReads = r.GetValue(serializable),
            Binary = r.GetValue(binary) ?? (t == Target.Etcd ? "/usr/bin/etcd" : Path.Combine(Repo.Root(), "src", "KvServer", "bin", "Release", "net10.0", "kvserver.dll")),
            HeartbeatMs = r.GetValue(heartbeat),
            ElectionMs = r.GetValue(election),
            KeepData = r.GetValue(keepData),
        };
        if (!File.Exists(options.Binary))
        {
            throw new ArgumentException($"{options.Binary} not found (build kvserver: dotnet build src/KvServer -c Release; or apt-get install etcd-server)");
        }

        return await RunCommand.RunAsync(options, Console.Out, Console.Error, ct);
    }
    catch (ArgumentException e)
    {
        Console.Error.WriteLine("jepsen-lite run: " + e.Message);
        return 2;
    }
});
root.Subcommands.Add(run);

var file = new Argument<string>("file") { Description = "a history.jsonl (format: jepsen-lite/README.md)" };
var checkWorkload = new Option<string>("--workload") { Description = "register, set, watch or lease", DefaultValueFactory = _ => "register" };
var limit = new Option<string>("--time-limit") { Description = "search time limit; past it the answer is unknown", DefaultValueFactory = _ => "60s" };
var check = new Command("check", "Checks a recorded history; exit code 0 only when valid.");
check.Arguments.Add(file);
check.Options.Add(checkWorkload);
check.Options.Add(limit);
check.SetAction(r => KvCluster.JepsenLite.Checker.CheckCommand.Run(r.GetValue(file)!, r.GetValue(checkWorkload)!, Durations.Parse(r.GetValue(limit)!), Console.Out));
root.Subcommands.Add(check);

return await root.Parse(args).InvokeAsync();
