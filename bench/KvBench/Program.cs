using KvCluster.Bench;
using KvCluster.KvBench;

// kvbench: a load generator speaking etcd's v3 gRPC API, modelled on etcd's `benchmark` tool.
// Global: --endpoints A,B,C --conns N --clients N [--target-leader] [--rate N (requests/s, all clients)] [--json FILE]
//   kvbench put   --total N --key-size N --val-size N [--key-space-size N] [--sequential-keys]
//   kvbench range --total N --key K [--end E | --prefix] [--consistency l|s]
//   kvbench txn-put   --total N --txn-ops N --key-size N --val-size N [--key-space-size N]
//   kvbench txn-mixed --total N --rw-ratio R --key-size N --val-size N [--key-space-size N] [--consistency l|s]
//   kvbench watch --watchers N --streams N --watched-keys N --put-rate N --put-total N
//   kvbench watch-get --watchers N --streams N --watch-events N
//   kvbench lease-keepalive --total N
// Progress goes to stderr once a second; the summary (throughput, HDR latency percentiles, histogram) to stdout.
const string Usage = "usage: kvbench put|range|txn-put|txn-mixed|watch|watch-get|lease-keepalive [--endpoints a,b] [--conns N] [--clients N] [--target-leader] [--rate N] [--json FILE] [workload flags: see bench/README.md]";
string[] workloads = [.. RequestWorkloads.Names, "watch", "watch-get", "lease-keepalive"];
if (args.Length == 0 || !workloads.Contains(args[0]))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

var opts = Options.Parse(args.Skip(1));
using var load = await Load.OpenAsync(opts);
Dictionary<string, object> summary;
try
{
    summary = args[0] switch
    {
        "watch" => await WatchWorkload.RunAsync(load),
        "watch-get" => await WatchGetWorkload.RunAsync(load),
        "lease-keepalive" => await LeaseWorkload.RunAsync(load),
        _ => await RequestWorkloads.RunAsync(args[0], load),
    };
}
catch (Grpc.Core.RpcException e) when (e.StatusCode == Grpc.Core.StatusCode.Unavailable)
{
    // No server answering at the endpoints: one line instead of a stack trace.
    Console.Error.WriteLine($"kvbench: cannot reach {string.Join(",", load.Endpoints)}: {e.Status.Detail}");
    return 1;
}

long done = (long)summary["total"], errors = (long)summary["errors"];
return errors > 0 && done == 0 ? 1 : 0;
