using KvCluster.Kv.Mvcc;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Mvcc;

public sealed class ConcurrencyTests
{
    /// <summary>
    /// A write txn whose compare fails changes nothing, but must still wait until the writes before it
    /// are durable — and then return. It used to wait for the next commit round, which only ran when a
    /// later write asked for one: with no later write it hung (found by concurrent guarded updates in
    /// the apiserver: the loser of two PUTs from one resourceVersion never got its 409).
    /// </summary>
    [Fact]
    public async Task FailedCompareRacingAFlushReturns()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await s.PutAsync(new PutRequest(B("k"), B("0")));
        for (int i = 1; i <= 300; i++)
        {
            long rev = s.Revision;
            var guarded = (string v) => new TxnRequest(
                [new Compare(CompareResult.Equal, CompareTarget.Mod, B("k")) { ModRevision = rev }],
                [RequestOp.Of(new PutRequest(B("k"), B(v)))],
                [RequestOp.Of(new RangeRequest(B("k")))]);
            var first = s.TxnAsync(guarded("a" + i)).AsTask();
            var second = s.TxnAsync(guarded("b" + i)).AsTask();
            var both = Task.WhenAll(first, second);
            Assert.True(await Task.WhenAny(both, Task.Delay(TimeSpan.FromSeconds(5))) == both, $"round {i}: a txn did not return");
            Assert.Equal(1, (await both).Count(r => r.Succeeded));
        }
    }

    /// <summary>A compaction landing between a read's revision check and its index lookup must not make keys look absent.</summary>
    [Fact]
    public async Task ReadRacingACompactionFailsWithCompactedInsteadOfMissingKeys()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        for (int i = 1; i <= 5; i++)
        {
            await s.PutAsync(new PutRequest(B("k"), B(i.ToString())));
        }

        s.AfterReadCheck = _ =>
        {
            s.AfterReadCheck = null;
            s.CompactAsync(5, physical: true).AsTask().GetAwaiter().GetResult();
        };
        var e = Assert.Throws<KvException>(() => s.Range(new RangeRequest(B("k")) { Revision = 2 }));
        Assert.Equal(KvErrorCode.Compacted, e.Code);
        Assert.Equal("5", S(Assert.Single(s.Range(new RangeRequest(B("k"))).Kvs).Value));
    }

    /// <summary>
    /// One key is written at every revision with its revision as value, while compactions run and
    /// readers read past revisions: a read at revision r must return exactly the value written at r,
    /// or fail with ErrCompacted — never another version, never a missing key.
    /// </summary>
    [Fact]
    public async Task PastReadsAreExactOrCompactedWhileWritersAndCompactionsRun()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        // Runs at least 3 s and at least 5 compactions, at most 30 s.
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var started = System.Diagnostics.Stopwatch.StartNew();
        long exact = 0, compacted = 0, compactions = 0;
        var writer = Task.Run(async () =>
        {
            long i = 0;
            while (!stop.IsCancellationRequested)
            {
                // Ten requests per call: ten revisions per WAL flush, so the test reaches compactions quickly.
                // Each value is the revision it is written at (a new store is at revision 1: the first write is 2).
                var batch = Enumerable.Range(1, 10).Select(j => RequestOp.Of(new PutRequest(B("k"), B((i + j + 1).ToString())))).ToList();
                var results = await s.ApplyAsync(batch);
                Assert.Equal(Enumerable.Range(1, 10).Select(j => i + j + 1), results.Select(r => r.Response!.Put!.Revision));
                i += 10;
                if (i % 50 == 0)
                {
                    await s.CompactAsync(i - 20, physical: i % 100 == 0);
                    if (++compactions >= 5 && started.Elapsed >= TimeSpan.FromSeconds(3))
                    {
                        stop.Cancel();
                    }
                }
            }
        });
        var readers = Enumerable.Range(0, 2).Select(seed => Task.Run(() =>
        {
            var rng = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                long current = s.Revision;
                if (current < 2)
                {
                    Thread.Sleep(1);
                    continue;
                }

                // Mostly in the window the next compaction will drop (where a read races it), sometimes
                // anywhere (compacted reads).
                long floor = Math.Max(2, s.CompactRevision);
                long top = Math.Max(floor, current - 20);
                if (rng.Next(8) == 0)
                {
                    (floor, top) = (2, current);
                }

                if (rng.Next(16) == 0)
                {
                    Thread.Yield(); // leave the writer and the committer some CPU on a 2-core machine
                }

                long at = floor + rng.NextInt64(top - floor + 1);
                try
                {
                    var kv = Assert.Single(s.Range(new RangeRequest(B("k")) { Revision = at }).Kvs);
                    Assert.Equal(at.ToString(), S(kv.Value));
                    Assert.Equal(at, kv.ModRevision);
                    Interlocked.Increment(ref exact);
                }
                catch (KvException e) when (e.Code == KvErrorCode.Compacted)
                {
                    Interlocked.Increment(ref compacted);
                }
            }
        })).ToList();

        await Task.WhenAll(readers.Append(writer));
        Assert.True(exact > 100, $"only {exact} exact reads");
        Assert.True(compacted > 0, "no read ever hit a compacted revision: the test did not exercise compaction");
        Assert.Empty(s.CheckConsistency());
    }
}
