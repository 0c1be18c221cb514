using KvCluster.Kv.Mvcc;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Mvcc;

public sealed class KeyIndexTests
{
    /// <summary>The worked example of KeyIndex's comment: put 1, put 2, delete 3, put 5.</summary>
    private static KeyIndex Example()
    {
        var ki = new KeyIndex(B("foo"));
        ki.Put(new Revision(1, 0), lease: 0);
        ki.Put(new Revision(2, 0), lease: 7);
        Assert.True(ki.Tombstone(new Revision(3, 0)));
        ki.Put(new Revision(5, 0), lease: 0);
        return ki;
    }

    [Theory]
    [InlineData(0, null)]
    [InlineData(1, 1L)]
    [InlineData(2, 2L)]
    [InlineData(3, null)]
    [InlineData(4, null)]
    [InlineData(5, 5L)]
    [InlineData(9, 5L)]
    public void VisibleRevisionAt(long at, long? expected)
    {
        var ki = Example();
        Assert.Equal(expected, ki.TryGet(at, out var rev) ? rev.Main : null);
        Assert.Equal(expected, ki.TryGetConcurrent(at, out var rev2) ? rev2.Main : null);
    }

    [Theory]
    [InlineData(2, new long[] { 2, 3, 5 }, new long[] { 1 })]
    [InlineData(3, new long[] { 3, 5 }, new long[] { 1, 2 })]
    [InlineData(4, new long[] { 5 }, new long[] { 1, 2, 3 })]
    [InlineData(5, new long[] { 5 }, new long[] { 1, 2, 3 })]
    [InlineData(9, new long[] { 5 }, new long[] { 1, 2, 3 })]
    public void CompactKeepsWhatReadsAtOrAfterCanSee(long at, long[] kept, long[] removed)
    {
        var ki = Example();
        var gone = new List<Revision>();
        Assert.False(ki.Compact(at, gone));
        Assert.Equal(removed, gone.Select(r => r.Main));
        Assert.Equal(kept, Enumerable.Range(0, ki.Count).Select(i => Revision.Unpack(ki.PackedAt(i)).Main));
        Assert.True(ki.TryGet(Math.Max(at, 5), out var latest));
        Assert.Equal(5, latest.Main);
    }

    [Fact]
    public void GenerationFactsFollowPutsAndDeletes()
    {
        var ki = new KeyIndex(B("k"));
        ki.Put(new Revision(4, 0), lease: 9);
        ki.Put(new Revision(6, 1), lease: 0);
        Assert.Equal((4L, 2L, 0L), (ki.CreateRevision, ki.Version, ki.Lease));
        ki.Tombstone(new Revision(7, 0));
        Assert.Equal((0L, 0L), (ki.CreateRevision, ki.Version));
        Assert.False(ki.Tombstone(new Revision(8, 0)));
        ki.Put(new Revision(9, 0), lease: 3);
        Assert.Equal((9L, 1L, 3L), (ki.CreateRevision, ki.Version, ki.Lease));
        Assert.Throws<InvalidOperationException>(() => ki.Put(new Revision(9, 0), 0));
    }

    [Fact]
    public void ALastTombstoneBeforeTheCompactionEmptiesTheKey()
    {
        var ki = new KeyIndex(B("k"));
        ki.Put(new Revision(1, 0), 0);
        ki.Tombstone(new Revision(2, 0));
        var gone = new List<Revision>();
        Assert.True(ki.Compact(3, gone));
        Assert.Equal([1L, 2L], gone.Select(r => r.Main));
    }

    [Fact]
    public async Task ConcurrentReaderNeverSeesATornState()
    {
        var ki = new KeyIndex(B("k"));
        ki.Put(new Revision(1, 0), 0);
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        long maxSeen = 0;
        var reader = Task.Run(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                Assert.True(ki.TryGetConcurrent(long.MaxValue >> 22, out var rev));
                Assert.True(rev.Main >= maxSeen, "the visible revision went backwards");
                maxSeen = rev.Main;
            }
        });
        var gone = new List<Revision>();
        for (long r = 2; !stop.IsCancellationRequested && r < 2_000_000; r++)
        {
            ki.Put(new Revision(r, 0), 0);
            if (r % 1000 == 0)
            {
                ki.Compact(r - 10, gone);
            }
        }

        await reader;
        Assert.True(maxSeen > 1);
    }
}
