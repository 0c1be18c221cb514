using System.Diagnostics;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>
/// Sustained-throughput runs for the engine targets (in-process, this machine):
/// ≥ 300,000 durable puts/s (64-byte keys, 256-byte values, batched, one fsync per batch),
/// ≥ 1,000,000 single-key ranges/s, ≤ 200 bytes of index memory per key beyond the key bytes.
/// Prints progress while it runs and a summary table (markdown) at the end.
/// </summary>
internal static class Throughput
{
    public static async Task<int> RunAsync(long keys, TimeSpan rangeTime)
    {
        var rows = new List<(string What, double Value, string Unit, string Target, bool Pass)>();
        string dir = BenchStore.NewDir();
        try
        {
            using (var store = BenchStore.Open(dir))
            {
                // Warm the JIT (tiered compilation) on a small, separate key space.
                await BenchStore.LoadAsync(store, 100_000, "warm/");

                // Round 0 loads new keys (index inserts, FASTER pages touched for the first time);
                // round 1 overwrites them: the steady state of a store that has been running.
                foreach (var label in new[] { "load of new keys", "overwrite of existing keys" })
                {
                    long rounds0 = store.CommitRounds;
                    double rate = await LoadRound(store, keys, Stopwatch.StartNew(), $"puts ({label})");
                    long flushes = store.CommitRounds - rounds0;
                    rows.Add(($"durable puts/s, {label} (batches of 1000, 4 loaders, {keys / Math.Max(1, flushes):N0} puts per fsync)", rate, "ops/s", ">= 300,000", rate >= 300_000));
                }

                // Single requests, as a server sees them: 1024 in flight, grouped by the committer.
                long single = Math.Min(keys, 200_000);
                var sw = Stopwatch.StartNew();
                long sdone = 0;
                using (Progress("single puts", () => Interlocked.Read(ref sdone), single, sw))
                {
                    var value = BenchStore.Value();
                    await Parallel.ForEachAsync(Enumerable.Range(0, (int)single), new ParallelOptions { MaxDegreeOfParallelism = 1024 }, async (i, ct) =>
                    {
                        await store.PutAsync(new PutRequest(BenchStore.Key(i), value), 0, ct);
                        Interlocked.Increment(ref sdone);
                    });
                }

                rows.Add(("durable puts/s (single PutAsync requests, 1024 in flight)", single / sw.Elapsed.TotalSeconds, "ops/s", "", true));

                double random = await Ranges(store, keys, rangeTime, "random keys");
                rows.Add(($"single-key ranges/s, 2 threads, uniform over {keys:N0} keys", random, "ops/s", ">= 1,000,000", random >= 1_000_000));
                double hot = await Ranges(store, 10_000, rangeTime, "hot keys");
                rows.Add(("single-key ranges/s, 2 threads, 10,000 hot keys of the 1,000,000", hot, "ops/s", ">= 1,000,000", hot >= 1_000_000));
            }

            // etcd's own read benchmark shape: a small key space, so the working set stays in cache.
            string small = BenchStore.NewDir();
            try
            {
                using var store = BenchStore.Open(small);
                await BenchStore.LoadAsync(store, 10_000);
                double rate = await Ranges(store, 10_000, rangeTime, "store of 10,000 keys");
                rows.Add(("single-key ranges/s, 2 threads, store of 10,000 keys", rate, "ops/s", ">= 1,000,000", rate >= 1_000_000));
            }
            finally
            {
                BenchStore.Delete(small);
            }

            double perKey = IndexBytesPerKey(1_000_000);
            rows.Add(("index bytes per key beyond the key bytes (1,000,000 keys)", perKey, "bytes", "<= 200", perKey <= 200));
        }
        finally
        {
            BenchStore.Delete(dir);
        }

        Console.WriteLine();
        Console.WriteLine("| measure | value | unit | target | result |");
        Console.WriteLine("| --- | ---: | --- | --- | --- |");
        foreach (var (what, value, unit, target, pass) in rows)
        {
            Console.WriteLine($"| {what} | {value:N0} | {unit} | {target} | {(target.Length == 0 ? "" : pass ? "PASS" : "MISS")} |");
        }

        return 0;
    }

    private static async Task<double> LoadRound(MvccStore store, long keys, Stopwatch sw, string what)
    {
        long done = 0;
        using (Progress(what, () => Interlocked.Read(ref done), keys, sw))
        {
            // 4 loaders, each submitting batches of 1000: a batch is applied while the previous one is flushed.
            const int Loaders = 4;
            await Task.WhenAll(Enumerable.Range(0, Loaders).Select(l => Task.Run(async () =>
            {
                var value = BenchStore.Value();
                for (long start = l * 1000L; start < keys; start += Loaders * 1000L)
                {
                    long n = Math.Min(1000, keys - start);
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

        return keys / sw.Elapsed.TotalSeconds;
    }

    private static async Task<double> Ranges(MvccStore store, long keys, TimeSpan time, string what)
    {
        var keyBytes = new byte[Math.Min(keys, 1_000_000)][];
        for (int i = 0; i < keyBytes.Length; i++)
        {
            keyBytes[i] = BenchStore.Key(i);
        }

        long done = 0;
        var sw = Stopwatch.StartNew();
        using (Progress($"ranges ({what})", () => Interlocked.Read(ref done), 0, sw))
        {
            var threads = Enumerable.Range(0, 2).Select(t => Task.Factory.StartNew(() =>
            {
                var rng = new Random(t);
                while (sw.Elapsed < time)
                {
                    for (int i = 0; i < 1000; i++)
                    {
                        var r = store.Range(new RangeRequest(keyBytes[rng.Next(keyBytes.Length)]));
                        if (r.Kvs.Count != 1)
                        {
                            throw new InvalidOperationException("a loaded key is missing");
                        }
                    }

                    Interlocked.Add(ref done, 1000);
                }
            }, TaskCreationOptions.LongRunning)).ToArray();
            await Task.WhenAll(threads);
        }

        return done / sw.Elapsed.TotalSeconds;
    }

    /// <summary>Managed memory of a TreeIndex holding <paramref name="n"/> 64-byte keys, each put once, minus the key bytes.</summary>
    private static double IndexBytesPerKey(int n)
    {
        var keys = new byte[n][];
        for (int i = 0; i < n; i++)
        {
            keys[i] = BenchStore.Key(i);
        }

        long before = GC.GetTotalMemory(forceFullCollection: true);
        var index = new TreeIndex();
        for (int i = 0; i < n; i++)
        {
            index.Put(keys[i], new Revision(i + 1, 0), 0);
        }

        long after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(index);
        GC.KeepAlive(keys);
        // The key arrays were allocated before: what the index adds is all overhead.
        return (after - before) / (double)n;
    }

    private static IDisposable Progress(string what, Func<long> done, long total, Stopwatch sw)
    {
        var cts = new CancellationTokenSource();
        _ = Task.Run(async () =>
        {
            while (!cts.IsCancellationRequested)
            {
                await Task.Delay(1000, cts.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                long d = done();
                string of = total > 0 ? $"/{total:N0} ({100.0 * d / total:F0}%)" : "";
                Console.WriteLine($"  {what}: {d:N0}{of} in {sw.Elapsed.TotalSeconds:F1}s, {d / sw.Elapsed.TotalSeconds:N0}/s");
            }
        });
        return cts;
    }
}
