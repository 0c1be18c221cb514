using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using Grpc.Core;
using KvCluster.JepsenLite.Cluster;
using KvCluster.JepsenLite.History;
using KvCluster.KvServer.Api;

namespace KvCluster.JepsenLite.Workloads;

/// <summary>
/// watch: writers put unique values to a few keys under /jepsen/w/, delete them now and then, and
/// write two keys in one txn (one revision, two events: atomicity); watchers (a quarter of the clients,
/// at least one) watch the prefix with prev_kv from "now" or from a random past revision, and resume
/// from the revision after the last one they saw when their stream breaks. Once the faults are healed,
/// one watch from revision 1 on a healthy member reads the committed history.
/// Lines (see <see cref="WatchLines"/>): a watcher's "watch" invoke when it (re)starts, and one "events"
/// ok line per watch response; the committed history as "committed" lines of process -2.
/// </summary>
public sealed class WatchWorkload(LocalCluster cluster, IHistory history, Latencies latencies, int keys) : IWorkload
{
    public const string Prefix = "/jepsen/w/";
    private long _next;

    public string Name => "watch";

    private static string End => Prefix[..^1] + "0";

    public Task ClientAsync(int worker, int concurrency, Random rng, CancellationToken ct) =>
        worker % 4 == 0 ? WatcherAsync(worker, rng, ct) : WriterAsync(worker, concurrency, rng, ct);

    private async Task WriterAsync(int worker, int concurrency, Random rng, CancellationToken ct)
    {
        var process = worker;
        var node = worker % cluster.Members.Count;
        while (!ct.IsCancellationRequested)
        {
            var kv = new KV.KVClient(cluster.Channel(node));
            var dice = rng.Next(10);
            var key = Prefix + rng.Next(keys);
            var value = Interlocked.Increment(ref _next);
            var txn = new TxnRequest();
            string f;
            JsonNode invoked;
            if (dice == 0)
            {
                f = "delete";
                invoked = JsonValue.Create(0);
                txn.Success.Add(new RequestOp { RequestDeleteRange = new DeleteRangeRequest { Key = EtcdOps.Key(key) } });
            }
            else if (dice == 1)
            {
                // Two keys in one revision.
                var other = Prefix + ((int.Parse(key[Prefix.Length..], CultureInfo.InvariantCulture) + 1) % keys);
                f = "write2";
                invoked = new JsonArray(other, value);
                txn.Success.Add(Put(key, value));
                txn.Success.Add(Put(other, value));
            }
            else
            {
                f = "write";
                invoked = JsonValue.Create(value);
                txn.Success.Add(Put(key, value));
            }

            history.Append(process, OpType.Invoke, f, key, invoked, node);
            var clock = Stopwatch.StartNew();
            try
            {
                await kv.TxnAsync(txn, deadline: EtcdOps.Deadline());
                latencies.Add(clock.Elapsed);
                history.Append(process, OpType.Ok, f, key, invoked, node);
            }
            catch (RpcException e)
            {
                var outcome = EtcdOps.WriteError(e);
                history.Append(process, outcome == Outcome.Fail ? OpType.Fail : OpType.Info, f, key, invoked, node, EtcdOps.Describe(e));
                if (outcome == Outcome.Info)
                {
                    process += concurrency;
                }

                await Task.Delay(rng.Next(20, 100), CancellationToken.None);
            }
        }
    }

    private static RequestOp Put(string key, long value) =>
        new() { RequestPut = new PutRequest { Key = EtcdOps.Key(key), Value = EtcdOps.Key(value.ToString(CultureInfo.InvariantCulture)) } };

    /// <summary>Watches until <paramref name="ct"/>, resuming after every break; records each response.</summary>
    private async Task WatcherAsync(int worker, Random rng, CancellationToken ct)
    {
        var node = worker % cluster.Members.Count;
        var cursor = new Cursor();
        var fromPast = worker % 8 == 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                if (cursor.Next == 0 && fromPast)
                {
                    // A random revision in the past (the store is not compacted during a run).
                    var current = await CurrentRevisionAsync(node, ct);
                    cursor.Next = rng.NextInt64(1, current + 1);
                }

                await WatchOnceAsync(WatchLines.WatcherProcess(worker), node, cursor, ct);
            }
            catch (Exception e) when (e is RpcException or IOException or InvalidOperationException && !ct.IsCancellationRequested)
            {
                await Task.Delay(200, CancellationToken.None);
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>Where a watcher resumes: the first revision it has not seen (0 until its first stream is created: "now").</summary>
    private sealed class Cursor
    {
        public long Next { get; set; }
    }

    /// <summary>One watch stream from the cursor (0 = now), moving the cursor past every revision received, until the stream breaks.</summary>
    private async Task WatchOnceAsync(int process, int node, Cursor cursor, CancellationToken ct)
    {
        using var call = new Watch.WatchClient(cluster.Channel(node)).Watch(cancellationToken: ct);
        var start = cursor.Next;
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = EtcdOps.Key(Prefix), RangeEnd = EtcdOps.Key(End), StartRevision = start, PrevKv = true } }, ct);
        while (await call.ResponseStream.MoveNext(ct))
        {
            var r = call.ResponseStream.Current;
            if (r.Created)
            {
                // From "now": the first revision it can deliver is the one after the header's.
                cursor.Next = start == 0 ? r.Header.Revision + 1 : start;
                history.Append(process, OpType.Invoke, "watch", Prefix, new JsonObject { ["start"] = cursor.Next, ["range_end"] = End }, node);
            }

            if (r.Canceled)
            {
                throw new InvalidOperationException($"watch canceled: {r.CancelReason} (compact revision {r.CompactRevision})");
            }

            if (r.Events.Count == 0)
            {
                continue;
            }

            history.Append(process, OpType.Ok, "events", Prefix, WatchLines.Events(r.Events), node);
            cursor.Next = r.Events[^1].Kv.ModRevision + 1;
        }
    }

    /// <summary>The store's current revision as <paramref name="node"/> answers it (a linearizable count of the prefix).</summary>
    private async Task<long> CurrentRevisionAsync(int node, CancellationToken ct) =>
        (await new KV.KVClient(cluster.Channel(node)).RangeAsync(new RangeRequest { Key = EtcdOps.Key(Prefix), RangeEnd = EtcdOps.Key(End), CountOnly = true }, deadline: EtcdOps.Deadline(), cancellationToken: ct)).Header.Revision;

    public async Task FinalAsync(int process, CancellationToken ct)
    {
        // The committed history: every change under the prefix, from revision 1 to the current one.
        for (var attempt = 0; attempt < 10 && !ct.IsCancellationRequested; attempt++)
        {
            var node = attempt % cluster.Members.Count;
            try
            {
                var current = await CurrentRevisionAsync(node, ct);
                using var call = new Watch.WatchClient(cluster.Channel(node)).Watch(cancellationToken: ct);
                await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = EtcdOps.Key(Prefix), RangeEnd = EtcdOps.Key(End), StartRevision = 1, PrevKv = true } }, ct);
                var lines = new List<JsonArray>();
                long seen = 0;
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
                timeout.CancelAfter(TimeSpan.FromSeconds(30));

                // Changes under the prefix may end before the current revision (other writes): a progress request tells where the stream is.
                await call.RequestStream.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() }, ct);
                while (seen < current && await call.ResponseStream.MoveNext(timeout.Token))
                {
                    var r = call.ResponseStream.Current;
                    if (r.Events.Count > 0)
                    {
                        lines.Add(WatchLines.Events(r.Events));
                        seen = r.Events[^1].Kv.ModRevision;
                    }
                    else if (!r.Created)
                    {
                        seen = Math.Max(seen, r.Header.Revision);
                        if (seen < current)
                        {
                            await call.RequestStream.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() }, ct);
                        }
                    }
                }

                foreach (var l in lines)
                {
                    history.Append(WatchLines.CommittedProcess, OpType.Ok, "committed", Prefix, l);
                }

                return;
            }
            catch (Exception e) when (e is RpcException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                await Task.Delay(500, ct);
            }
        }
    }
}
