using KvCluster.Kv.Mvcc;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Mvcc;

public sealed class TreeIndexTests
{
    private static TreeIndex Sample()
    {
        var index = new TreeIndex();
        long rev = 1;
        foreach (var k in new[] { "a", "b", "b/1", "c", "d" })
        {
            index.Put(B(k), new Revision(rev++, 0), 0);
        }

        index.Tombstone(B("c"), new Revision(rev, 0));
        return index;
    }

    [Theory]
    [InlineData("b", null, 6, "b")]
    [InlineData("b", "c", 6, "b,b/1")]
    [InlineData("b", "\0", 6, "b,b/1,d")]
    [InlineData("\0", "\0", 6, "a,b,b/1,d")]
    [InlineData("\0", "\0", 4, "a,b,b/1,c")]
    [InlineData("c", "b", 6, "")]
    [InlineData("zz", "\0", 6, "")]
    public void RangeFollowsEtcdKeyConventions(string key, string? end, long at, string expected)
    {
        var got = new List<string>();
        Sample().Range(new KeyRange(B(key), end is null ? null : B(end)), at, descending: false, (k, _) =>
        {
            got.Add(S(k));
            return true;
        });
        Assert.Equal(expected, string.Join(",", got));
    }

    [Fact]
    public void CompactDropsEmptiedKeysFromTreeAndMap()
    {
        var index = Sample();
        var removed = index.Compact(7);
        Assert.Equal([4L, 6L], removed.Select(r => r.Main));
        Assert.False(index.TryGet(B("c"), 7, out _));
        Assert.Equal(4, index.KeyCount);
        Assert.Equal(4, index.Count(new KeyRange([0], [0]), 7));
    }

    [Fact]
    public void The_index_keeps_its_own_copy_of_a_new_key()
    {
        var index = new TreeIndex();
        var key = B("shared");
        index.Put(key, new Revision(2, 0), 0);
        key[0] = (byte)'X'; // the caller reuses its array

        Assert.True(index.TryGet(B("shared"), 2, out var rev));
        Assert.Equal(2, rev.Main);
        Assert.False(index.TryGet(B("Xhared"), 2, out _));
        var keys = new List<string>();
        index.Range(new KeyRange([0], [0]), 2, descending: false, (k, _) =>
        {
            keys.Add(S(k));
            return true;
        });
        Assert.Equal(["shared"], keys);
    }
}
