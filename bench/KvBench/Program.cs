using System.Diagnostics;
using KvCluster.Bench;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Net.Client;
using KvCluster.KvServer.Api;

// kvbench: a load generator speaking etcd's v3 gRPC API, modelled on etcd's `benchmark` tool.
//   kvbench put   --endpoints A,B,C --conns 100 --clients 500 --total 100000 --key-size 8 --val-size 256 [--key-space-size N] [--sequential-keys] [--json FILE]
//   kvbench range --endpoints A --conns 10 --clients 100 --total 100000 --key K [--consistency l|s] [--json FILE]
// Progress goes to stderr once a second; the summary (throughput, latency percentiles, histogram) to stdout.
if (args.Length == 0 || args[0] is not ("put" or "range"))
{
    Console.Error.WriteLine("usage: kvbench put|range [--endpoints a,b] [--conns N] [--clients N] [--total N] [--key-size N] [--val-size N] [--key-space-size N] [--sequential-keys] [--key K] [--consistency l|s] [--json FILE]");
    return 2;
}

var opts = Options.Parse(args.Skip(1));
string workload = args[0];
var endpoints = opts.Get("endpoints", "127.0.0.1:2379").Split(',', StringSplitOptions.RemoveEmptyEntries);
int conns = opts.Int("conns", 1), clients = opts.Int("clients", 1), total = opts.Int("total", 10_000);
int keySize = opts.Int("key-size", 8), valSize = opts.Int("val-size", 8), keySpace = opts.Int("key-space-size", 1);
bool sequential = opts.Flag("sequential-keys");
bool serializable = opts.Get("consistency", "l") == "s";
var rangeKey = ByteString.CopyFromUtf8(opts.Get("key", "foo"));

var channels = Enumerable.Range(0, conns).Select(i => GrpcChannel.ForAddress(
    endpoints[i % endpoints.Length].Contains("://", StringComparison.Ordinal) ? endpoints[i % endpoints.Length] : "http://" + endpoints[i % endpoints.Length],
    new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan } })).ToArray();
var value = ByteString.CopyFrom(new byte[valSize]);
var latencies = new long[total];
int next = -1, done = 0, errors = 0;
var sw = Stopwatch.StartNew();

async Task ClientAsync(int c)
{
    var kv = new KV.KVClient(channels[c % channels.Length]);
    var rnd = new Random(c);
    var keyBuf = new byte[keySize];
    while (true)
    {
        int n = Interlocked.Increment(ref next);
        if (n >= total)
        {
            return;
        }

        long start = Stopwatch.GetTimestamp();
        try
        {
            if (workload == "put")
            {
                int k = sequential ? n % Math.Max(keySpace, 1) : rnd.Next(Math.Max(keySpace, 1));
                BitConverter.TryWriteBytes(keyBuf.AsSpan(0, Math.Min(keySize, 4)), k);
                await kv.PutAsync(new PutRequest { Key = ByteString.CopyFrom(keyBuf), Value = value });
            }
            else
            {
                await kv.RangeAsync(new RangeRequest { Key = rangeKey, Serializable = serializable });
            }
        }
        catch (Grpc.Core.RpcException)
        {
            Interlocked.Increment(ref errors);
        }

        latencies[n] = Stopwatch.GetElapsedTime(start).Ticks;
        Interlocked.Increment(ref done);
    }
}

using var progress = new Timer(_ =>
{
    int d = Volatile.Read(ref done);
    Console.Error.Write($"\r{workload} {d}/{total} ({100.0 * d / total:F1}%) {d / sw.Elapsed.TotalSeconds:N0} req/s, {Volatile.Read(ref errors)} errors   ");
}, null, 1000, 1000);
await Task.WhenAll(Enumerable.Range(0, clients).Select(c => Task.Run(() => ClientAsync(c))));
var elapsed = sw.Elapsed;
progress.Change(Timeout.Infinite, Timeout.Infinite);
Console.Error.WriteLine();

Array.Sort(latencies);
double Ms(double q) => TimeSpan.FromTicks(latencies[Math.Min(total - 1, (int)(q * total))]).TotalMilliseconds;
var summary = new Dictionary<string, object>
{
    ["workload"] = workload,
    ["endpoints"] = string.Join(",", endpoints),
    ["conns"] = conns,
    ["clients"] = clients,
    ["total"] = total,
    ["errors"] = errors,
    ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
    ["requests_per_second"] = Math.Round(total / elapsed.TotalSeconds, 1),
    ["p50_ms"] = Math.Round(Ms(0.50), 3),
    ["p90_ms"] = Math.Round(Ms(0.90), 3),
    ["p99_ms"] = Math.Round(Ms(0.99), 3),
    ["p999_ms"] = Math.Round(Ms(0.999), 3),
    ["max_ms"] = Math.Round(TimeSpan.FromTicks(latencies[^1]).TotalMilliseconds, 3),
};
Console.WriteLine($"Summary: {total} {workload} requests in {elapsed.TotalSeconds:F2} s, {errors} errors");
Console.WriteLine($"  Requests/sec: {summary["requests_per_second"]}");
Console.WriteLine($"  Latency ms: p50 {summary["p50_ms"]}  p90 {summary["p90_ms"]}  p99 {summary["p99_ms"]}  p99.9 {summary["p999_ms"]}  max {summary["max_ms"]}");
Console.WriteLine("Response time histogram (ms):");
double hi = Math.Max(TimeSpan.FromTicks(latencies[^1]).TotalMilliseconds, 0.001);
for (int b = 1; b <= 10; b++)
{
    double upper = hi * b / 10, lower = hi * (b - 1) / 10;
    int count = latencies.Count(t => TimeSpan.FromTicks(t).TotalMilliseconds > lower && TimeSpan.FromTicks(t).TotalMilliseconds <= upper);
    Console.WriteLine($"  {upper,10:F3} [{count,8}] {new string('∎', (int)(40.0 * count / total))}");
}

if (opts.Get("json", "") is { Length: > 0 } json)
{
    File.WriteAllText(json, JsonSerializer.Serialize(summary));
}

foreach (var ch in channels)
{
    ch.Dispose();
}

return errors > 0 && errors == total ? 1 : 0;
