using System.Buffers.Binary;
using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using KvCluster.KvServer.Api;

namespace KvCluster.KvBench;

/// <summary>
/// watch: --watchers watches on --watched-keys keys, spread over --streams watch streams, while puts
/// go to those keys at --put-rate per second, --put-total in all. Each put carries its send time, and
/// each delivered event is one latency sample: put sent to event received. Every watcher of a key must
/// receive every put to it; the summary counts the deliveries that did not arrive.
/// </summary>
internal static class WatchWorkload
{
    public static async Task<Dictionary<string, object>> RunAsync(Load load)
    {
        var o = load.Opts;
        int watchers = o.Int("watchers", 1000), streams = Math.Max(1, o.Int("streams", 10)), keys = Math.Max(1, o.Int("watched-keys", 1));
        int putRate = Math.Max(1, o.Int("put-rate", 100)), putTotal = o.Int("put-total", 1000);
        var key = Enumerable.Range(0, keys).Select(k => ByteString.CopyFromUtf8($"watch-bench/{k:D6}")).ToArray();
        long expected = Enumerable.Range(0, keys).Sum(k => (long)CountWatchers(watchers, keys, k) * CountPuts(putTotal, keys, k));
        using var stop = new CancellationTokenSource();
        using var recorder = new Recorder("watch events", expected);

        // Open every watch, and wait until each has been created, before the first put.
        var calls = new List<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>>();
        var created = new CountdownEvent(watchers);
        var readers = new List<Task>();
        for (int s = 0; s < streams; s++)
        {
            var call = new Watch.WatchClient(load.Channel(s)).Watch(cancellationToken: stop.Token);
            calls.Add(call);
            readers.Add(Task.Run(() => ReadAsync(call, created, recorder, stop.Token)));
        }

        var sw = Stopwatch.StartNew();
        for (int w = 0; w < watchers; w++)
        {
            await calls[w % streams].RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = key[w % keys] } });
        }

        if (!created.Wait(TimeSpan.FromSeconds(60)))
        {
            throw new TimeoutException($"only {watchers - created.CurrentCount} of {watchers} watches created in 60 s");
        }

        double openSeconds = sw.Elapsed.TotalSeconds;
        // --settle-ms: a pause between opening the watches and the first put (0: none), to tell the
        // cost of the watch-creation burst from the delivery latency proper.
        int settleMs = o.Int("settle-ms", 0);
        if (settleMs > 0)
        {
            await Task.Delay(settleMs);
        }

        var kv = new KV.KVClient(load.Channel(0));
        var interval = Stopwatch.Frequency / putRate;
        long due = Stopwatch.GetTimestamp();
        int putErrors = 0;
        var puts = new List<Task>();
        for (int p = 0; p < putTotal; p++)
        {
            long wait = due - Stopwatch.GetTimestamp();
            if (wait > 0)
            {
                await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
            }

            due += interval;
            var value = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(value, Stopwatch.GetTimestamp());
            puts.Add(PutAsync(kv, key[p % keys], value, () => Interlocked.Increment(ref putErrors)));
        }

        await Task.WhenAll(puts);
        // Let the last events arrive (bounded), then stop.
        var drain = Stopwatch.StartNew();
        while (recorder.Done < expected - (long)putErrors * Math.Max(1, watchers / keys) && drain.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50);
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        foreach (var c in calls)
        {
            c.Dispose();
        }

        var run = load.Describe("watch");
        run["watchers"] = watchers;
        run["streams"] = streams;
        run["watched_keys"] = keys;
        run["put_rate"] = putRate;
        run["put_total"] = putTotal;
        run["put_errors"] = putErrors;
        run["expected_events"] = expected;
        run["missed_events"] = Math.Max(0, expected - recorder.Done);
        run["open_seconds"] = Math.Round(openSeconds, 3);
        run["settle_ms"] = settleMs;
        var summary = recorder.Report(run, o.Get("json", ""));
        Console.WriteLine($"  {summary["missed_events"]} of {expected} events not delivered; {putErrors} puts failed; watches opened in {openSeconds:F2} s");
        return summary;
    }

    private static int CountWatchers(int watchers, int keys, int k) => (watchers / keys) + (k < watchers % keys ? 1 : 0);

    private static int CountPuts(int puts, int keys, int k) => (puts / keys) + (k < puts % keys ? 1 : 0);

    private static async Task PutAsync(KV.KVClient kv, ByteString key, byte[] value, Action failed)
    {
        try
        {
            await kv.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFrom(value) });
        }
        catch (RpcException)
        {
            failed();
        }
    }

    private static async Task ReadAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, CountdownEvent created, Recorder recorder, CancellationToken ct)
    {
        try
        {
            await foreach (var r in call.ResponseStream.ReadAllAsync(ct))
            {
                if (r.Created)
                {
                    created.Signal();
                }

                long now = Stopwatch.GetTimestamp();
                foreach (var e in r.Events)
                {
                    if (e.Kv.Value.Length == 8)
                    {
                        recorder.Record(now - BinaryPrimitives.ReadInt64LittleEndian(e.Kv.Value.Span));
                    }
                }
            }
        }
        catch (RpcException) when (ct.IsCancellationRequested)
        {
        }
        catch (OperationCanceledException)
        {
        }
    }
}
