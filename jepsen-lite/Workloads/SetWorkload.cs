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
                // In pages of 10,000 keys, all at the first page's revision: one consistent read of the whole set.
                var kv = new KV.KVClient(cluster.Channel(node));
                var elements = new JsonArray();
                long revision = 0;
                var from = EtcdOps.Key(Prefix);
                while (true)
                {
                    var r = await kv.RangeAsync(new RangeRequest { Key = from, RangeEnd = end, KeysOnly = true, Limit = 10_000, Revision = revision }, deadline: DateTime.UtcNow.AddSeconds(10), cancellationToken: ct);
                    revision = r.Header.Revision;
                    foreach (var k in r.Kvs)
                    {
                        elements.Add(long.Parse(k.Key.ToStringUtf8()[Prefix.Length..], CultureInfo.InvariantCulture));
                    }

                    if (!r.More || r.Kvs.Count == 0)
                    {
                        break;
                    }

                    from = Google.Protobuf.ByteString.CopyFrom([.. r.Kvs[^1].Key.Span, 0]);
                }

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
