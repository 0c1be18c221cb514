using System.Diagnostics;
using System.Runtime;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>
/// Sustained-throughput runs against the engine targets, in process, on this machine:
/// <list type="bullet">
/// <item>≥ 300,000 durable puts/s, batched, one fsync per batch: 64-byte keys, 256-byte values, fsync on,
/// ApplyAsync batches of 1000 puts from 4 submitters, first <c>--keys</c> new keys, later overwriting them
/// (single PutAsync requests, 1024 in flight, are context rows; <c>puts --single</c> runs them on new keys
/// for <c>--put-seconds</c> at most);</item>
/// <item>≥ 1,000,000 single-key ranges/s: 2 threads, uniformly random keys of the <c>--keys</c>
/// preloaded ones, for <c>--range-seconds</c>;</item>
/// <item>≤ 200 bytes of <see cref="TreeIndex"/> memory per key beyond the key bytes: <c>--keys</c>
/// distinct 64-byte keys, each put once; GC.GetTotalMemory(true) after minus before, minus keys × 64.</item>
/// </list>
/// Rows without a target are context (other load shapes, memory of the whole store). Progress lines
/// every second; a markdown table at the end. Every figure is what this run measured.
/// </summary>
internal static class Throughput
{
    private const int Writers = 1024;
    private const int HotKeys = 10_000;

    private sealed record Row(string What, double Value, string Unit, string Target = "", bool Pass = false);

    public static async Task<int> RunAsync(long keys, TimeSpan putTime, TimeSpan rangeTime)
    {
        Console.WriteLine($"throughput: {keys:N0} keys of {BenchStore.KeySize} bytes, values of {BenchStore.ValueSize} bytes, fsync on; " +
            $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, {(GCSettings.IsServerGC ? "server" : "workstation")} GC ({GCSettings.LatencyMode})");
        var rows = new List<Row>();

        await WarmUpAsync(rangeTime);

        // Continuations run inline: without this, the frames that finished the warm-up (holding its
        // store) would still be on this thread's stack and count in the baseline below.
        await Task.Yield();

        long heap0 = GC.GetTotalMemory(forceFullCollection: true);
        long ws0 = Environment.WorkingSet;
        string dir = BenchStore.NewDir();
        try
        {
            var clock = Stopwatch.StartNew();
            using (var store = BenchStore.Open(dir, logger: new EngineLog(clock)))
            {
                // a) Durable puts of new keys, batched as the target says: ApplyAsync batches of 1000 puts (each its own
                // revision, as a Raft apply loop or a bulk load writes them), one WAL flush per batch or fewer.
                var flushes = new WalFlushTimes();
                using var gcEvents = new GcEvents();
                gcEvents.Begin();
                var (rate, perFlush) = await BatchedPutsAsync(store, keys, "a) durable puts, new keys, ApplyAsync batches of 1000");
                Console.WriteLine($"  => {rate:N0} puts/s; {perFlush:N1} puts per fsync; {GcSince()}");
                Console.WriteLine($"     {flushes.Summary()}");
                Console.WriteLine($"     {gcEvents.Summary()}");
                flushes.Dispose();
                rows.Add(new($"durable puts/s: ApplyAsync batches of 1000, 4 submitters, {keys:N0} new keys ({perFlush:N0} puts per fsync)",
                    rate, "ops/s", ">= 300,000", rate >= 300_000));

                long heap1 = GC.GetTotalMemory(forceFullCollection: true);
                long ws1 = Environment.WorkingSet;
                Console.WriteLine($"  store with {keys:N0} keys: managed heap +{(heap1 - heap0) / 1048576.0:N0} MiB ({(heap1 - heap0) / (double)keys:N0} bytes per key), " +
                    $"working set +{(ws1 - ws0) / 1048576.0:N0} MiB (the GC reuses what the warm-up freed, so this one undercounts)");
                rows.Add(new($"whole store after loading {keys:N0} keys: managed heap per key (key, value, index, FASTER's in-memory log, WAL buffers)", (heap1 - heap0) / (double)keys, "bytes"));

                // b) Single-key ranges, 2 threads, uniformly over every key. Each request gets a key array of
                // its own, built from the random number as a server decodes one from a request: the table of
                // prebuilt keys (the context row after it, the method of runs before 2026-12-07) makes the
                // client miss the cache twice per request (an 8 MB table of references, then the key array
                // itself), which perf showed as 19 % of the samples in the benchmark's own loop.
                double random = await RangesAsync(store, keys, rangeTime, "b) single-key ranges, uniform", buildKeys: true);
                Console.WriteLine($"  => {random:N0} ranges/s; {GcSince()}");
                rows.Add(new($"single-key ranges/s: 2 threads, uniformly random over {keys:N0} keys, each request's key built for it", random, "ops/s", ">= 1,000,000", random >= 1_000_000));

                double table = await RangesAsync(store, keys, rangeTime, "single-key ranges, uniform, keys from a prebuilt table");
                Console.WriteLine($"  => {table:N0} ranges/s; {GcSince()}");
                rows.Add(new($"single-key ranges/s: 2 threads, uniformly random over {keys:N0} keys, keys taken from a prebuilt table of {keys:N0} arrays (the method before 2026-12-07)", table, "ops/s"));

                long hot = Math.Min(HotKeys, keys);
                double hotRate = await RangesAsync(store, hot, rangeTime, $"single-key ranges, {hot:N0} hot keys");
                Console.WriteLine($"  => {hotRate:N0} ranges/s; {GcSince()}");
                rows.Add(new($"single-key ranges/s: 2 threads, {hot:N0} hot keys of the {keys:N0}", hotRate, "ops/s"));

                // Context: single PutAsync requests, 1024 in flight (as a server issues them; the committer groups them),
                // overwriting existing keys. (`puts --single` runs them on new keys.)
                gcEvents.Begin();
                var (done, seconds, rounds) = await ConcurrentPutsAsync(store, keys, putTime, "durable puts, overwrites");
                rate = done / seconds;
                Console.WriteLine($"  => {rate:N0} puts/s; {done / (double)Math.Max(1, rounds):N1} puts per fsync; {GcSince()}");
                Console.WriteLine($"     {gcEvents.Summary()}");
                rows.Add(new($"durable puts/s: PutAsync, {Writers} in flight, overwriting existing keys ({done:N0} puts, {done / (double)Math.Max(1, rounds):N0} puts per fsync)", rate, "ops/s"));

                // The target's batches again, now overwriting the keys (etcd's `benchmark put` also writes into a key space).
                (rate, perFlush) = await BatchedPutsAsync(store, keys, "durable puts, ApplyAsync batches of 1000, overwrites");
                Console.WriteLine($"  => {rate:N0} puts/s; {perFlush:N1} puts per fsync; {GcSince()}");
                rows.Add(new($"durable puts/s: ApplyAsync batches of 1000, 4 submitters, overwriting the {keys:N0} keys ({perFlush:N0} puts per fsync)",
                    rate, "ops/s", ">= 300,000", rate >= 300_000));

                // Context: the same reads once the store holds up to three versions of every key.
                double after = await RangesAsync(store, keys, rangeTime, "single-key ranges, uniform, after the overwrites", buildKeys: true);
                Console.WriteLine($"  => {after:N0} ranges/s; {GcSince()}");
                rows.Add(new($"single-key ranges/s: 2 threads, uniformly random over {keys:N0} keys (each request's key built for it), after the two overwrite rounds above (2 or 3 versions of each key)", after, "ops/s"));
            }

            // c) The index alone.
            var (withArrays, structures) = IndexBytesPerKey((int)keys);
            rows.Add(new($"index bytes per key beyond the key bytes ({keys:N0} keys; after − before − keys × 64, the key arrays' own headers included)", withArrays, "bytes", "<= 200", withArrays <= 200));
            rows.Add(new("index bytes per key, the index's objects with the key arrays allocated before the measurement (the index keeps its own copy of each key, so the copies count here)", structures, "bytes"));
        }
        finally
        {
            BenchStore.Delete(dir);
        }

        Console.WriteLine();
        Console.WriteLine("| measure | value | unit | target | result |");
        Console.WriteLine("| --- | ---: | --- | --- | --- |");
        foreach (var r in rows)
        {
            Console.WriteLine($"| {r.What} | {r.Value:N0} | {r.Unit} | {r.Target} | {(r.Target.Length == 0 ? "" : r.Pass ? "PASS" : "MISS")} |");
        }

        return 0;
    }

    /// <summary>
    /// New-key durable puts alone, on a fresh store after the warm-up: ApplyAsync batches of 1000 (or, with
    /// <paramref name="single"/>, single PutAsync requests, 1024 in flight). For profiles and A/B runs of the put path.
    /// </summary>
    public static async Task<int> PutsOnlyAsync(long keys, bool single)
    {
        await WarmUpAsync(TimeSpan.FromSeconds(1));
        string dir = BenchStore.NewDir();
        try
        {
            var clock = Stopwatch.StartNew();
            using var store = BenchStore.Open(dir, logger: new EngineLog(clock));
            using var gcEvents = new GcEvents();
            gcEvents.Begin();
            GcSince();
            var cpu0 = Process.GetCurrentProcess().TotalProcessorTime;
            double rate;
            string shape;
            if (single)
            {
                var (done, seconds, rounds) = await ConcurrentPutsAsync(store, keys, TimeSpan.FromMinutes(10), "durable puts, new keys, PutAsync");
                rate = done / seconds;
                shape = $"PutAsync, {Writers} in flight, {done / (double)Math.Max(1, rounds):N0} puts per fsync";
            }
            else
            {
                (rate, double perFlush) = await BatchedPutsAsync(store, keys, "durable puts, new keys, ApplyAsync batches of 1000");
                shape = $"ApplyAsync batches of 1000, {perFlush:N0} puts per fsync";
            }

            double cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu0).TotalMicroseconds / keys;
            Console.WriteLine($"  => {rate:N0} puts/s ({shape}); process CPU {cpuUs:F2} µs per put; {GcSince()}");
            Console.WriteLine($"     {gcEvents.Summary()}");
        }
        finally
        {
            BenchStore.Delete(dir);
        }

        return 0;
    }

    /// <summary>Runs every measured path once on a throwaway store, so the JIT has tiered up before the clock starts.</summary>
    private static async Task WarmUpAsync(TimeSpan rangeTime)
    {
        Console.WriteLine("warm-up (separate store, not measured)");
        string dir = BenchStore.NewDir();
        try
        {
            using var store = BenchStore.Open(dir);
            await BenchStore.LoadAsync(store, 50_000, "warm/");
            await ConcurrentPutsAsync(store, 100_000, TimeSpan.FromSeconds(5), "warm-up puts", quiet: true);
            await RangesAsync(store, 50_000, TimeSpan.FromSeconds(Math.Min(1, rangeTime.TotalSeconds)), "warm-up ranges", quiet: true);
            await RangesAsync(store, 50_000, TimeSpan.FromSeconds(Math.Min(1, rangeTime.TotalSeconds)), "warm-up ranges", quiet: true, buildKeys: true);
        }
        finally
        {
            BenchStore.Delete(dir);
        }
    }

    /// <summary>
    /// Puts keys 0, 1, 2, … as single <see cref="MvccStore.PutAsync"/> requests from <see cref="Writers"/>
    /// concurrent writers, until <paramref name="keys"/> puts or <paramref name="limit"/> has passed.
    /// The keys written are exactly [0, done).
    /// </summary>
    private static async Task<(long Done, double Seconds, long Rounds)> ConcurrentPutsAsync(MvccStore store, long keys, TimeSpan limit, string what, bool quiet = false)
    {
        long issued = -1, done = 0;
        long rounds0 = store.CommitRounds;
        GcSince();
        var value = BenchStore.Value();
        var sw = Stopwatch.StartNew();
        using (quiet ? null : Progress(what, () => Interlocked.Read(ref done), keys, sw, () => $", {store.CommitRounds - rounds0:N0} fsyncs"))
        {
            var writers = new Task[Writers];
            for (int w = 0; w < Writers; w++)
            {
                writers[w] = Task.Run(async () =>
                {
                    while (sw.Elapsed < limit)
                    {
                        long i = Interlocked.Increment(ref issued);
                        if (i >= keys)
                        {
                            return;
                        }

                        await store.PutAsync(new PutRequest(BenchStore.Key(i), value));
                        Interlocked.Increment(ref done);
                    }
                });
            }

            await Task.WhenAll(writers);
        }

        return (done, sw.Elapsed.TotalSeconds, store.CommitRounds - rounds0);
    }

    /// <summary>Puts keys [0, keys) in ApplyAsync batches of 1000, 4 submitters (a batch is applied while the previous one is flushed).</summary>
    private static async Task<(double Rate, double PerFlush)> BatchedPutsAsync(MvccStore store, long keys, string what)
    {
        const int Submitters = 4, Batch = 1000;
        long done = 0;
        GcSince();
        long rounds0 = store.CommitRounds;
        var sw = Stopwatch.StartNew();
        using (Progress(what, () => Interlocked.Read(ref done), keys, sw, () => $", {store.CommitRounds - rounds0:N0} fsyncs"))
        {
            await Task.WhenAll(Enumerable.Range(0, Submitters).Select(l => Task.Run(async () =>
            {
                var value = BenchStore.Value();
                for (long start = l * (long)Batch; start < keys; start += Submitters * (long)Batch)
                {
                    long n = Math.Min(Batch, keys - start);
                    var ops = new RequestOp[n];
                    for (long j = 0; j < n; j++)
                    {
                        ops[j] = RequestOp.Of(new PutRequest(BenchStore.Key(start + j), value));
                    }

                    await store.ApplyAsync(ops);
                    Interlocked.Add(ref done, n);
                }
            })));
        }

        return (keys / sw.Elapsed.TotalSeconds, keys / (double)Math.Max(1, store.CommitRounds - rounds0));
    }

    /// <summary>
    /// Single-key ranges of uniformly random keys of [0, keys) from 2 dedicated threads (one per core);
    /// each request's key is built for it (<paramref name="buildKeys"/>) or taken from a prebuilt table.
    /// </summary>
    private static async Task<double> RangesAsync(MvccStore store, long keys, TimeSpan time, string what, bool quiet = false, bool buildKeys = false)
    {
        var keyBytes = new byte[buildKeys ? 0 : keys][];
        for (long i = 0; i < keyBytes.Length; i++)
        {
            keyBytes[i] = BenchStore.Key(i);
        }

        long done = 0;
        GcSince();
        var sw = Stopwatch.StartNew();
        using (quiet ? null : Progress(what, () => Interlocked.Read(ref done), 0, sw))
        {
            var threads = Enumerable.Range(0, 2).Select(t => Task.Factory.StartNew(() =>
            {
                var rng = new Random(t);
                while (sw.Elapsed < time)
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        long k = rng.NextInt64(keys);
                        var r = store.Range(new RangeRequest(buildKeys ? BenchStore.Key(k) : keyBytes[k]));
                        if (r.Kvs.Count != 1)
                        {
                            throw new InvalidOperationException("a loaded key is missing");
                        }
                    }

                    Interlocked.Add(ref done, 1000);
                }
            }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)).ToArray();
            await Task.WhenAll(threads);
        }

        return done / sw.Elapsed.TotalSeconds;
    }

    /// <summary>
    /// Managed memory of a <see cref="TreeIndex"/> holding <paramref name="n"/> distinct 64-byte keys, each
    /// put once, per key: first as specified (keys created inside the measurement, then their n × 64 bytes
    /// subtracted: the arrays' 24-byte headers count as overhead; the caller's arrays are garbage once the index
    /// has copied them), then with the key arrays allocated before the measurement (the index's objects, its
    /// copies of the keys included).
    /// </summary>
    private static (double WithKeyArrays, double IndexObjectsOnly) IndexBytesPerKey(int n)
    {
        Console.WriteLine($"c) index memory: {n:N0} distinct {BenchStore.KeySize}-byte keys, each put once");
        long before = GC.GetTotalMemory(forceFullCollection: true);
        var index = new TreeIndex();
        for (int i = 0; i < n; i++)
        {
            index.Put(BenchStore.Key(i), new Revision(i + 1, 0), 0);
        }

        long after = GC.GetTotalMemory(forceFullCollection: true);
        if (index.KeyCount != n)
        {
            throw new InvalidOperationException($"the index holds {index.KeyCount} keys, expected {n}");
        }

        GC.KeepAlive(index);
        double withArrays = (after - before - n * (double)BenchStore.KeySize) / n;
        Console.WriteLine($"  heap {before:N0} -> {after:N0} bytes: {(after - before) / (double)n:N1} bytes per key, {withArrays:N1} beyond the {BenchStore.KeySize} key bytes");

        var keys = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            keys[i] = BenchStore.Key(i);
        }

        before = GC.GetTotalMemory(forceFullCollection: true);
        var index2 = new TreeIndex();
        for (int i = 0; i < n; i++)
        {
            index2.Put(keys[i], new Revision(i + 1, 0), 0);
        }

        after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(index2);
        GC.KeepAlive(keys);
        double objects = (after - before) / (double)n;
        Console.WriteLine($"  key arrays allocated beforehand: {objects:N1} bytes per key for the index's objects (its own copy of each key included)");
        return (withArrays, objects);
    }

    /// <summary>Collections and pause time since the previous call, for the "=>" lines.</summary>
    private static string GcSince()
    {
        var now = (G0: GC.CollectionCount(0), G1: GC.CollectionCount(1), G2: GC.CollectionCount(2), Pause: GC.GetTotalPauseDuration(), Allocated: GC.GetTotalAllocatedBytes());
        var d = (now.G0 - s_gc.G0, now.G1 - s_gc.G1, now.G2 - s_gc.G2, (now.Pause - s_gc.Pause).TotalMilliseconds, now.Allocated - s_gc.Allocated);
        s_gc = now;
        return $"GC: {d.Item1} gen0, {d.Item2} gen1, {d.Item3} gen2 collections, {d.Item4:N0} ms paused, {d.Item5 / 1048576.0:N0} MiB allocated";
    }

    private static (int G0, int G1, int G2, TimeSpan Pause, long Allocated) s_gc;

    /// <summary>Prints a progress line every second until disposed.</summary>
    private static IDisposable Progress(string what, Func<long> done, long total, Stopwatch sw, Func<string>? extra = null)
    {
        Console.WriteLine(what);
        var cts = new CancellationTokenSource();
        var loop = Task.Run(async () =>
        {
            while (true)
            {
                try
                {
                    await Task.Delay(1000, cts.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                long d = done();
                string of = total > 0 ? $"/{total:N0} ({100.0 * d / total:F0}%)" : "";
                Console.WriteLine($"  {what}: {d:N0}{of} in {sw.Elapsed.TotalSeconds:F1}s, {d / sw.Elapsed.TotalSeconds:N0}/s{extra?.Invoke()}");
            }
        });
        return new ProgressLines(cts, loop);
    }

    private sealed class ProgressLines(CancellationTokenSource cts, Task loop) : IDisposable
    {
        public void Dispose()
        {
            cts.Cancel();
            loop.GetAwaiter().GetResult();
            cts.Dispose();
        }
    }
}
