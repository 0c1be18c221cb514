using Google.Protobuf;
using Grpc.Core;
using KvCluster.KvServer.Api;

namespace KvCluster.KvBench;

/// <summary>
/// watch-get, as etcd's `benchmark watch-get`: --watch-events puts to one key, then --watchers
/// watches of that key from the first put's revision (so every one starts unsynced and catches up
/// from the store) over --streams streams, while one client does serializable gets of another key
/// in a loop. A sample is one get: what catching up thousands of watchers costs the readers. The run
/// ends when every watcher has received every event.
/// </summary>
internal static class WatchGetWorkload
{
    public static async Task<Dictionary<string, object>> RunAsync(Load load)
    {
        var o = load.Opts;
        int watchers = o.Int("watchers", 10000), streams = Math.Max(1, o.Int("streams", 1)), events = Math.Max(1, o.Int("watch-events", 8));
        var key = ByteString.CopyFromUtf8("watchkey");
        var kv = new KV.KVClient(load.Channel(0));
        long startRev = 0;
        for (int i = 0; i < events; i++)
        {
            var put = await kv.PutAsync(new PutRequest { Key = key, Value = ByteString.CopyFromUtf8(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) });
            startRev = i == 0 ? put.Header.Revision : startRev;
        }

        using var stop = new CancellationTokenSource();
        using var gets = new Recorder("gets", 0);
        var getter = new KV.KVClient(load.Channel(load.Channels.Length - 1));
        var getLoop = Task.Run(async () =>
        {
            var request = new RangeRequest { Key = ByteString.CopyFromUtf8("abc"), Serializable = true };
            while (!stop.IsCancellationRequested)
            {
                long t = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    await getter.RangeAsync(request, cancellationToken: stop.Token);
                    gets.Record(System.Diagnostics.Stopwatch.GetTimestamp() - t);
                }
                catch (RpcException) when (stop.IsCancellationRequested)
                {
                }
                catch (RpcException)
                {
                    gets.Error();
                }
            }
        });

        // Every watcher counts down once it has all the events; the streams read until all have.
        var done = new CountdownEvent(watchers);
        var received = new long[watchers];
        var calls = Enumerable.Range(0, streams).Select(s => new Watch.WatchClient(load.Channel(s)).Watch(cancellationToken: stop.Token)).ToList();
        var readers = calls.Select(c => Task.Run(() => ReadAsync(c, received, events, done, stop.Token))).ToList();
        var sw = System.Diagnostics.Stopwatch.StartNew();
        for (int w = 0; w < watchers; w++)
        {
            await calls[w % streams].RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = key, StartRevision = startRev, WatchId = w } });
        }

        bool all = done.Wait(TimeSpan.FromSeconds(o.Int("timeout-seconds", 120)));
        double catchUp = sw.Elapsed.TotalSeconds;
        await stop.CancelAsync();
        await getLoop;
        await Task.WhenAll(readers);
        foreach (var c in calls)
        {
            c.Dispose();
        }

        var run = load.Describe("watch-get");
        run["watchers"] = watchers;
        run["streams"] = streams;
        run["watch_events"] = events;
        run["watchers_caught_up"] = watchers - done.CurrentCount;
        run["catch_up_seconds"] = Math.Round(catchUp, 3);
        var summary = gets.Report(run, o.Get("json", ""));
        Console.WriteLine($"  {watchers - done.CurrentCount} of {watchers} watchers received all {events} events in {catchUp:F2} s{(all ? "" : " (timed out)")}");
        return summary;
    }

    private static async Task ReadAsync(AsyncDuplexStreamingCall<WatchRequest, WatchResponse> call, long[] received, int events, CountdownEvent done, CancellationToken ct)
    {
        try
        {
            await foreach (var r in call.ResponseStream.ReadAllAsync(ct))
            {
                if (r.Events.Count == 0 || r.WatchId < 0 || r.WatchId >= received.Length)
                {
                    continue;
                }

                // Signalled once: by the response that takes this watcher to all the events.
                long now = Interlocked.Add(ref received[r.WatchId], r.Events.Count);
                if (now >= events && now - r.Events.Count < events)
                {
                    done.Signal();
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
