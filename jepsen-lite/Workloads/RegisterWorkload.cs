using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Grpc.Core;
using KvCluster.JepsenLite.Cluster;
using KvCluster.JepsenLite.History;
using KvCluster.KvServer.Api;

namespace KvCluster.JepsenLite.Workloads;

/// <summary>
/// register: each client reads, writes (unique integers) and compare-and-sets (a Txn on the value)
/// a few keys under /jepsen/r/. Reads are linearizable unless <paramref name="serializableReads"/>
/// (etcd's serializable reads may be stale: the checker must catch that under partitions).
/// A client talks to one member; after an indeterminate (info) operation it takes a new process number.
/// </summary>
public sealed class RegisterWorkload(LocalCluster cluster, IHistory history, Latencies latencies, int keys, bool serializableReads) : IWorkload
{
    private long _nextValue;

    public string Name => "register";

    public static string KeyName(int k) => $"/jepsen/r/{k}";

    public async Task ClientAsync(int worker, int concurrency, Random rng, CancellationToken ct)
    {
        var process = worker;
        var node = worker % cluster.Members.Count;
        var lastRead = new Dictionary<string, long>();
        while (!ct.IsCancellationRequested)
        {
            var key = KeyName(rng.Next(keys));
            var kv = new KV.KVClient(cluster.Channel(node));
            var dice = rng.Next(4);
            var outcome = dice switch
            {
                0 or 1 => await ReadAsync(kv, process, node, key, lastRead),
                2 => await WriteAsync(kv, process, node, key),
                _ => await CasAsync(kv, process, node, key, lastRead.TryGetValue(key, out var seen) ? seen : rng.Next(1, (int)Math.Max(2, Interlocked.Read(ref _nextValue) + 1))),
            };
            if (outcome == Outcome.Info)
            {
                process += concurrency;
            }

            if (outcome != Outcome.Ok)
            {
                // Back off a little so a failing member is not hammered.
                await Task.Delay(rng.Next(20, 100), CancellationToken.None);
            }
        }
    }

    public async Task FinalAsync(int process, CancellationToken ct)
    {
        for (var k = 0; k < keys; k++)
        {
            var key = KeyName(k);
            for (var attempt = 0; attempt < 30 && !ct.IsCancellationRequested; attempt++)
            {
                var kv = new KV.KVClient(cluster.Channel(attempt % cluster.Members.Count));
                var outcome = await ReadAsync(kv, process, attempt % cluster.Members.Count, key, [], linearizable: true);
                if (outcome == Outcome.Ok)
                {
                    break;
                }

                await Task.Delay(500, ct);
            }
        }
    }

    private async Task<Outcome> ReadAsync(KV.KVClient kv, int process, int node, string key, Dictionary<string, long> lastRead, bool linearizable = false)
    {
        history.Append(process, OpType.Invoke, "read", key, null, node);
        var clock = Stopwatch.StartNew();
        try
        {
            var r = await kv.RangeAsync(new RangeRequest { Key = EtcdOps.Key(key), Serializable = serializableReads && !linearizable }, deadline: EtcdOps.Deadline());
            var value = EtcdOps.ValueOf(r);
            latencies.Add(clock.Elapsed);
            history.Append(process, OpType.Ok, "read", key, value is { } v ? JsonValue.Create(v) : null, node);
            if (value is { } seen)
            {
                lastRead[key] = seen;
            }

            return Outcome.Ok;
        }
        catch (RpcException e)
        {
            // A read changes nothing: whatever went wrong, it did not happen.
            history.Append(process, OpType.Fail, "read", key, null, node, EtcdOps.Describe(e));
            return Outcome.Fail;
        }
    }

    private async Task<Outcome> WriteAsync(KV.KVClient kv, int process, int node, string key)
    {
        var value = Interlocked.Increment(ref _nextValue);
        history.Append(process, OpType.Invoke, "write", key, JsonValue.Create(value), node);
        var clock = Stopwatch.StartNew();
        try
        {
            await kv.PutAsync(new PutRequest { Key = EtcdOps.Key(key), Value = EtcdOps.Key(value.ToString(CultureInfo.InvariantCulture)) }, deadline: EtcdOps.Deadline());
            latencies.Add(clock.Elapsed);
            history.Append(process, OpType.Ok, "write", key, JsonValue.Create(value), node);
            return Outcome.Ok;
        }
        catch (RpcException e)
        {
            var outcome = EtcdOps.WriteError(e);
            history.Append(process, outcome == Outcome.Fail ? OpType.Fail : OpType.Info, "write", key, JsonValue.Create(value), node, EtcdOps.Describe(e));
            return outcome;
        }
    }

    private async Task<Outcome> CasAsync(KV.KVClient kv, int process, int node, string key, long expected)
    {
        var value = Interlocked.Increment(ref _nextValue);
        var pair = new JsonArray(expected, value);
        history.Append(process, OpType.Invoke, "cas", key, pair, node);
        var clock = Stopwatch.StartNew();
        try
        {
            var txn = new TxnRequest();
            txn.Compare.Add(new Compare { Key = EtcdOps.Key(key), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal, Value = EtcdOps.Key(expected.ToString(CultureInfo.InvariantCulture)) });
            txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = EtcdOps.Key(key), Value = EtcdOps.Key(value.ToString(CultureInfo.InvariantCulture)) } });
            var r = await kv.TxnAsync(txn, deadline: EtcdOps.Deadline());
            latencies.Add(clock.Elapsed);
            history.Append(process, r.Succeeded ? OpType.Ok : OpType.Fail, "cas", key, pair.DeepClone(), node);
            return r.Succeeded ? Outcome.Ok : Outcome.Fail;
        }
        catch (RpcException e)
        {
            var outcome = EtcdOps.WriteError(e);
            history.Append(process, outcome == Outcome.Fail ? OpType.Fail : OpType.Info, "cas", key, pair.DeepClone(), node, EtcdOps.Describe(e));
            return outcome;
        }
    }
}
