using KvCluster.Kv.Mvcc;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Mvcc;

public sealed class ConcurrencyTests
{
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
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(4));
        long exact = 0, compacted = 0;
        var writer = Task.Run(async () =>
        {
            long i = 0;
            while (!stop.IsCancellationRequested)
            {
                // Ten requests per call: ten revisions per WAL flush, so the test reaches compactions quickly.
                var batch = Enumerable.Range(1, 10).Select(j => RequestOp.Of(new PutRequest(B("k"), B((i + j).ToString())))).ToList();
                var results = await s.ApplyAsync(batch);
                Assert.Equal(Enumerable.Range(1, 10).Select(j => i + j), results.Select(r => r.Response!.Put!.Revision));
                i += 10;
                if (i % 200 == 0)
                {
                    await s.CompactAsync(i - 50, physical: i % 400 == 0);
                }
            }
        });
        var readers = Enumerable.Range(0, 2).Select(seed => Task.Run(() =>
        {
            var rng = new Random(seed);
            while (!stop.IsCancellationRequested)
            {
                long current = s.Revision;
                if (current < 1)
                {
                    Thread.Sleep(1);
                    continue;
                }

                // Mostly at or above the compact revision (which may move meanwhile), sometimes anywhere.
                long floor = rng.Next(4) == 0 ? 1 : Math.Max(1, s.CompactRevision);
                long at = floor + rng.NextInt64(current - floor + 1);
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
