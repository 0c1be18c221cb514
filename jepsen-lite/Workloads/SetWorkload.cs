using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Grpc.Core;
using KvCluster.JepsenLite.Cluster;
using KvCluster.JepsenLite.History;
using KvCluster.KvServer.Api;

namespace KvCluster.JepsenLite.Workloads;

/// <summary>
/// set: clients add unique integers to a set (one key per element under /jepsen/s/); once the faults
/// are healed, one linearizable read of the whole prefix. The checker looks for acknowledged adds
/// that are missing (lost) and elements nobody added (unexpected).
/// </summary>
public sealed class SetWorkload(LocalCluster cluster, IHistory history, Latencies latencies) : IWorkload
{
    public const string Prefix = "/jepsen/s/";
    private const string SetKey = "s";
    private long _next;

    public string Name => "set";

    public async Task ClientAsync(int worker, int concurrency, Random rng, CancellationToken ct)
    {
        var process = worker;
        var node = worker % cluster.Members.Count;
        while (!ct.IsCancellationRequested)
        {
            var value = Interlocked.Increment(ref _next);
            var kv = new KV.KVClient(cluster.Channel(node));
            history.Append(process, OpType.Invoke, "add", SetKey, JsonValue.Create(value), node);
            var clock = Stopwatch.StartNew();
            try
            {
                await kv.PutAsync(new PutRequest { Key = EtcdOps.Key(Prefix + value.ToString("D12", CultureInfo.InvariantCulture)) }, deadline: EtcdOps.Deadline());
                latencies.Add(clock.Elapsed);
                history.Append(process, OpType.Ok, "add", SetKey, JsonValue.Create(value), node);
            }
            catch (RpcException e)
            {
                var outcome = EtcdOps.WriteError(e);
                history.Append(process, outcome == Outcome.Fail ? OpType.Fail : OpType.Info, "add", SetKey, JsonValue.Create(value), node, EtcdOps.Describe(e));
                if (outcome == Outcome.Info)
                {
                    process += concurrency;
                }

                await Task.Delay(rng.Next(20, 100), CancellationToken.None);
            }
        }
    }

    public async Task FinalAsync(int process, CancellationToken ct)
    {
        var end = EtcdOps.Key(Prefix[..^1] + "0");
        for (var attempt = 0; attempt < 30 && !ct.IsCancellationRequested; attempt++)
        {
            var node = attempt % cluster.Members.Count;
            history.Append(process, OpType.Invoke, "read", SetKey, null, node);
            try
            {
                var r = await new KV.KVClient(cluster.Channel(node)).RangeAsync(new RangeRequest { Key = EtcdOps.Key(Prefix), RangeEnd = end, KeysOnly = true }, deadline: DateTime.UtcNow.AddSeconds(10));
                var elements = new JsonArray([.. r.Kvs.Select(k => (JsonNode)JsonValue.Create(long.Parse(k.Key.ToStringUtf8()[Prefix.Length..], CultureInfo.InvariantCulture)))]);
                history.Append(process, OpType.Ok, "read", SetKey, elements, node);
                return;
            }
            catch (RpcException e)
            {
                history.Append(process, OpType.Fail, "read", SetKey, null, node, EtcdOps.Describe(e));
                await Task.Delay(500, ct);
            }
        }
    }
}
