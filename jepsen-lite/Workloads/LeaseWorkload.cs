using System.Diagnostics;
using System.Text.Json.Nodes;
using Grpc.Core;
using KvCluster.JepsenLite.Cluster;
using KvCluster.JepsenLite.History;
using KvCluster.KvServer.Api;

namespace KvCluster.JepsenLite.Workloads;

/// <summary>
/// lease: each client, one lease at a time: grants a lease of <see cref="Ttl"/> seconds, puts a key
/// of its own (/jepsen/l/&lt;client&gt;-&lt;n&gt;) on it, keeps it alive once a second for a random
/// while, reading the key now and then, then either revokes the lease or stops renewing it, and reads
/// the key until it is gone. Lines: "grant" (ok value: [lease id, ttl]), "put" (value the lease id),
/// "keepalive" (ok value: the TTL granted, 0 when the lease is gone), "revoke", "read" (ok value: true
/// when the key is present). The checker (Checker/LeaseChecker.cs) asks: no key disappears while its
/// lease is kept alive, and none is readable after its lease was revoked or expired.
/// </summary>
public sealed class LeaseWorkload(LocalCluster cluster, IHistory history, Latencies latencies) : IWorkload
{
    public const int Ttl = 3;
    public const string Prefix = "/jepsen/l/";

    public string Name => "lease";

    public async Task ClientAsync(int worker, int concurrency, Random rng, CancellationToken ct)
    {
        var process = worker;
        var node = worker % cluster.Members.Count;
        for (var n = 0; !ct.IsCancellationRequested; n++)
        {
            var key = $"{Prefix}{worker}-{n}";
            var lease = new Lease.LeaseClient(cluster.Channel(node));
            var kv = new KV.KVClient(cluster.Channel(node));
            var (grant, granted) = await CallAsync(process, node, "grant", key, JsonValue.Create(Ttl), async () =>
            {
                var r = await lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = Ttl }, deadline: EtcdOps.Deadline());
                return new JsonArray(r.ID, r.TTL);
            });
            if (grant != Outcome.Ok)
            {
                process = Next(process, grant, concurrency);
                await Task.Delay(rng.Next(50, 200), CancellationToken.None);
                continue;
            }

            var id = granted!.AsArray()[0]!.GetValue<long>();
            var (put, _) = await CallAsync(process, node, "put", key, JsonValue.Create(id), async () =>
            {
                await kv.PutAsync(new PutRequest { Key = EtcdOps.Key(key), Value = EtcdOps.Key("x"), Lease = id }, deadline: EtcdOps.Deadline());
                return JsonValue.Create(id);
            });
            process = Next(process, put, concurrency);

            // Keep it alive for 0–6 s, reading the key between renewals.
            var keepFor = TimeSpan.FromMilliseconds(rng.Next(0, 6000));
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < keepFor && !ct.IsCancellationRequested)
            {
                var (ka, _) = await CallAsync(process, node, "keepalive", key, JsonValue.Create(id), async () => JsonValue.Create(await KeepAliveOnceAsync(lease, id)));
                process = Next(process, ka, concurrency);
                await ReadAsync(kv, process, node, key);
                await Task.Delay(rng.Next(300, 1000), CancellationToken.None);
            }

            if (rng.Next(2) == 0)
            {
                var (revoke, _) = await CallAsync(process, node, "revoke", key, JsonValue.Create(id), async () =>
                {
                    await lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = id }, deadline: EtcdOps.Deadline());
                    return JsonValue.Create(id);
                });
                process = Next(process, revoke, concurrency);
            }

            // Read until the key is gone (bounded: the lease's TTL plus time for elections).
            var waiting = Stopwatch.StartNew();
            while (waiting.Elapsed < TimeSpan.FromSeconds(Ttl + 20))
            {
                if (await ReadAsync(kv, process, node, key) == false)
                {
                    break;
                }

                await Task.Delay(500, CancellationToken.None);
            }
        }
    }

    private static int Next(int process, Outcome o, int concurrency) => o == Outcome.Info ? process + concurrency : process;

    private static async Task<long> KeepAliveOnceAsync(Lease.LeaseClient lease, long id)
    {
        using var call = lease.LeaseKeepAlive(deadline: EtcdOps.Deadline());
        await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = id });
        if (!await call.ResponseStream.MoveNext(CancellationToken.None))
        {
            throw new RpcException(new Status(StatusCode.Unavailable, "keep-alive stream ended without an answer"));
        }

        var ttl = call.ResponseStream.Current.TTL;
        await call.RequestStream.CompleteAsync();
        return ttl;
    }

    /// <summary>A linearizable read: whether the key is present, or null when the read failed.</summary>
    private async Task<bool?> ReadAsync(KV.KVClient kv, int process, int node, string key)
    {
        history.Append(process, OpType.Invoke, "read", key, null, node);
        try
        {
            var r = await kv.RangeAsync(new RangeRequest { Key = EtcdOps.Key(key) }, deadline: EtcdOps.Deadline());
            history.Append(process, OpType.Ok, "read", key, JsonValue.Create(r.Kvs.Count > 0), node);
            return r.Kvs.Count > 0;
        }
        catch (RpcException e)
        {
            history.Append(process, OpType.Fail, "read", key, null, node, EtcdOps.Describe(e));
            return null;
        }
    }

    private async Task<(Outcome, JsonNode?)> CallAsync(int process, int node, string f, string key, JsonNode invoked, Func<Task<JsonNode>> call)
    {
        history.Append(process, OpType.Invoke, f, key, invoked, node);
        var clock = Stopwatch.StartNew();
        try
        {
            var value = await call();
            latencies.Add(clock.Elapsed);
            history.Append(process, OpType.Ok, f, key, value, node);
            return (Outcome.Ok, value);
        }
        catch (RpcException e)
        {
            // A grant that failed left at most an unused lease; the others may have been applied.
            var outcome = f == "grant" ? Outcome.Fail : EtcdOps.WriteError(e);
            history.Append(process, outcome == Outcome.Fail ? OpType.Fail : OpType.Info, f, key, invoked, node, EtcdOps.Describe(e));
            return (outcome, null);
        }
    }

    public Task FinalAsync(int process, CancellationToken ct) => Task.CompletedTask;
}
