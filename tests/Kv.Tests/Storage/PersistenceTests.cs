using KvCluster.Kv.Mvcc;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Storage;

public sealed class PersistenceTests
{
    private static async Task Fill(MvccStore s, int keys, int rounds)
    {
        for (int r = 0; r < rounds; r++)
        {
            await Task.WhenAll(Enumerable.Range(0, keys).Select(i => s.PutAsync(new PutRequest(B($"k/{i:D5}"), B($"{r}-{new string('x', 200)}"))).AsTask()));
        }
    }

    [Fact]
    public async Task ReopenAfterCheckpointRestoresHistoryCompactionAndAppliedIndex()
    {
        await using var t = TempStore.Create(o => o with { CheckpointWalBytes = 64 << 10 });
        var s = t.Store;
        await Fill(s, 200, 3);
        await s.CheckpointAsync(CancellationToken.None);
        await s.PutAsync(new PutRequest(B("after"), B("checkpoint")), appliedIndex: 42);
        await s.CompactAsync(300, physical: true);
        long rev = s.Revision;
        uint hash = s.HashKv(0).Hash;
        await t.ReopenAsync();
        s = t.Store;
        Assert.Equal((rev, 300L, 42L), (s.Revision, s.CompactRevision, s.AppliedIndex));
        Assert.Equal(hash, s.HashKv(0).Hash);
        Assert.Empty(s.CheckConsistency());
        Assert.Equal("checkpoint", S(Assert.Single(s.Range(new RangeRequest(B("after"))).Kvs).Value));
        Assert.Equal(KvErrorCode.Compacted, Assert.Throws<KvException>(() => s.Range(new RangeRequest(B("k/00001")) { Revision = 299 })).Code);
        Assert.StartsWith("1-", S(Assert.Single(s.Range(new RangeRequest(B("k/00001")) { Revision = 300 }).Kvs).Value));
    }

    /// <summary>
    /// With CheckpointAtOpen (servers) the first, costly checkpoint is taken as the store opens, not
    /// one interval later under load; what it holds is recovered like any other checkpoint.
    /// </summary>
    [Fact]
    public async Task CheckpointAtOpenTakesTheFirstCheckpointAtOnce()
    {
        var log = new CapturingLogger();
        await using var t = TempStore.Create(o => o with { CheckpointAtOpen = true, CheckpointInterval = TimeSpan.FromHours(1), Logger = log });

        // A full and a log-only checkpoint at open (without the option: none, the interval is an hour).
        await log.WaitForAsync("checkpoint taken", 2);
        await Fill(t.Store, 50, 2);

        // The close takes one, the reopen two more.
        await t.ReopenAsync();
        await log.WaitForAsync("checkpoint taken", 5);
        long rev = t.Store.Revision;
        await t.ReopenAsync();
        Assert.Equal(rev, t.Store.Revision);
        Assert.Empty(t.Store.CheckConsistency());
    }

    /// <summary>
    /// The db size (what --quota-backend-bytes counts) leaves out FASTER's hash-index checkpoint, a
    /// fixed 16 MiB table whatever the data: a checkpointed empty store is not 16 MiB big.
    /// </summary>
    [Fact]
    public async Task DbSizeLeavesOutTheFixedSizeHashIndexCheckpoint()
    {
        string dir = TempStore.NewDir();
        try
        {
            await using (var s = MvccStore.Open(new StoreOptions { DataDir = dir }))
            {
                await s.PutAsync(new PutRequest(B("k"), B("v")));
                await s.CheckpointAsync(CancellationToken.None);
                long indexFiles = Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                    .Where(f => f.Contains("index-checkpoints", StringComparison.Ordinal)).Sum(f => new FileInfo(f).Length);
                Assert.True(indexFiles >= 16L << 20, $"the index checkpoint holds {indexFiles} bytes");
                Assert.InRange(s.DiskBytes, 1, 4L << 20);
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class CapturingLogger : Microsoft.Extensions.Logging.ILogger
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<string> _lines = new();

        public IEnumerable<string> Lines => _lines;

        public int Count(string text) => _lines.Count(l => l.Contains(text, StringComparison.Ordinal));

        /// <summary>Waits (20 s at most) until <paramref name="count"/> lines hold <paramref name="text"/>.</summary>
        public async Task WaitForAsync(string text, int count)
        {
            for (var sw = System.Diagnostics.Stopwatch.StartNew(); Count(text) < count && sw.Elapsed < TimeSpan.FromSeconds(20);)
            {
                await Task.Delay(20);
            }

            Assert.True(Count(text) >= count, $"{Count(text)} of {count} '{text}' lines:\n{string.Join("\n", Lines)}");
        }

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            _lines.Enqueue(formatter(state, exception));
    }

    [Fact]
    public async Task LogOnlyCheckpointsAfterAnIndexCheckpointRecoverEverything()
    {
        // The first checkpoint writes FASTER's index; the next ones only its log (and a log compaction
        // makes the next one full again). Each checkpoint truncates the WAL, so what was written after
        // the index checkpoint can only come back through the log-only checkpoints.
        await using var t = TempStore.Create();
        var s = t.Store;
        await Fill(s, 300, 1);
        await s.CheckpointAsync(CancellationToken.None); // full
        for (int round = 1; round <= 3; round++)
        {
            await Fill(s, 300, 1);
            await s.PutAsync(new PutRequest(B($"round/{round}"), B("v")));
            await s.CheckpointAsync(CancellationToken.None); // log-only
        }

        await s.CompactAsync(s.Revision, physical: true); // 900 removed: under the log compaction threshold
        await Fill(s, 1200, 1);
        await s.CompactAsync(s.Revision, physical: true); // over it: FASTER's log is compacted
        await s.CheckpointAsync(CancellationToken.None); // full again
        await s.PutAsync(new PutRequest(B("last"), B("v")));
        await s.CheckpointAsync(CancellationToken.None); // log-only
        long rev = s.Revision;
        uint hash = s.HashKv(0).Hash;

        await t.ReopenAsync();
        s = t.Store;
        Assert.Equal(rev, s.Revision);
        Assert.Equal(hash, s.HashKv(0).Hash);
        Assert.Empty(s.CheckConsistency());
        Assert.Equal(1200 + 3 + 1, s.Range(new RangeRequest([0], [0]) { CountOnly = true }).Count);
        Assert.Single(s.Range(new RangeRequest(B("round/3"))).Kvs);
        Assert.Single(s.Range(new RangeRequest(B("last"))).Kvs);
    }

    [Fact]
    public async Task BackToBackCheckpointsFromTwoCallersAllComplete()
    {
        // FASTER refuses to start a checkpoint while the previous one winds down; the store waits for it.
        await using var t = TempStore.Create();
        var s = t.Store;
        for (int i = 0; i < 20; i++)
        {
            await s.PutAsync(new PutRequest(B($"c/{i}"), B("v")));
            await Task.WhenAll(s.CheckpointAsync(CancellationToken.None), s.CheckpointAsync(CancellationToken.None));
        }

        await t.ReopenAsync();
        Assert.Equal(20, t.Store.Range(new RangeRequest(B("c/"), B("c0")) { CountOnly = true }).Count);
    }

    [Fact]
    public async Task PhysicalCompactionReclaimsFasterLogSpace()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await Fill(s, 1000, 5);
        long before = s.RecordLogBytes;
        await s.CompactAsync(s.Revision, physical: true);
        long after = s.RecordLogBytes;
        // 4 of 5 versions of every key are garbage; what remains is the live fifth (plus slack).
        Assert.True(after < before / 2, $"log {before} bytes before compaction, {after} after");
        Assert.Equal(1000, s.Range(new RangeRequest([0], [0]) { CountOnly = true }).Count);
        Assert.Empty(s.CheckConsistency());
        await t.ReopenAsync();
        Assert.Empty(t.Store.CheckConsistency());
        Assert.Equal(1000, t.Store.Range(new RangeRequest([0], [0]) { CountOnly = true }).Count);
    }

    [Fact]
    public async Task HashKvIsEqualForEqualHistoriesAndDiffersOtherwise()
    {
        await using var a = TempStore.Create();
        await using var b = TempStore.Create();
        foreach (var s in new[] { a.Store, b.Store })
        {
            await s.PutAsync(new PutRequest(B("x"), B("1")));
            await s.PutAsync(new PutRequest(B("y"), B("2")));
            await s.DeleteRangeAsync(new DeleteRangeRequest(B("x")));
        }

        Assert.Equal(a.Store.HashKv(0).Hash, b.Store.HashKv(0).Hash);
        Assert.Equal(a.Store.HashKv(2).Hash, b.Store.HashKv(2).Hash);
        Assert.NotEqual(a.Store.HashKv(2).Hash, a.Store.HashKv(3).Hash);
        await b.Store.PutAsync(new PutRequest(B("y"), B("3")));
        Assert.Equal(a.Store.HashKv(3).Hash, b.Store.HashKv(3).Hash);
        Assert.NotEqual(a.Store.HashKv(0).Hash, b.Store.HashKv(0).Hash);
    }

    [Fact]
    public async Task SnapshotRestoresIntoANewDataDirAndRejectsCorruption()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await Fill(s, 50, 2);
        await s.LeaseGrantAsync(9, 100);
        await s.PutAsync(new PutRequest(B("leased"), B("v")) { Lease = 9 });
        await s.CompactAsync(60);
        using var snap = new MemoryStream();
        long rev = await s.SnapshotAsync(snap);
        Assert.Equal(s.Revision, rev);

        string dir = TempStore.NewDir();
        try
        {
            snap.Position = 0;
            await using (var restored = MvccStore.Restore(snap, t.Options with { DataDir = dir }))
            {
                Assert.Equal((rev, 60L), (restored.Revision, restored.CompactRevision));
                Assert.Equal(s.HashKv(0).Hash, restored.HashKv(0).Hash);
                Assert.Equal([9L], restored.Leases());
                Assert.Equal("leased", S(Assert.Single(restored.LeaseTimeToLive(9, true).Keys)));
                Assert.Empty(restored.CheckConsistency());
                await restored.PutAsync(new PutRequest(B("new"), B("write")));
                Assert.Equal(rev + 1, restored.Revision);
            }

            var bytes = snap.ToArray();
            bytes[bytes.Length / 2] ^= 0xFF;
            string bad = TempStore.NewDir();
            var e = Assert.Throws<KvException>(() => MvccStore.Restore(new MemoryStream(bytes), t.Options with { DataDir = bad }));
            Assert.Contains("checksum", e.Message);
            Assert.False(Directory.Exists(bad));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
