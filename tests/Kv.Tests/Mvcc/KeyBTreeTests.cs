using System.Text;
using CsCheck;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Tests.Mvcc;

/// <summary>
/// The index's B+tree against a sorted set of the same keys: random adds and removes, enough of them to
/// split and merge leaves and inner nodes at several levels, then every invariant and every kind of scan.
/// </summary>
public sealed class KeyBTreeTests
{
    private static byte[] Key(int i) => Encoding.ASCII.GetBytes($"k{i:D5}");

    private static readonly Comparer<byte[]> Order = Comparer<byte[]>.Create((a, b) => a.AsSpan().SequenceCompareTo(b));

    /// <summary>(add?, key number): removes are of keys that may or may not be there.</summary>
    private static readonly Gen<(bool Add, int Key)[]> GenOps =
        Gen.Select(Gen.Int[0, 99], Gen.Int[0, 9_999]).Select(t => (t.Item1 < 70, t.Item2)).Array[1, 12_000];

    private static readonly Gen<(int From, int? To, bool Back)[]> GenScans =
        Gen.Select(Gen.Int[0, 10_000], Gen.Int[-1, 10_000], Gen.Bool).Select(t => (t.Item1, t.Item2 < 0 ? (int?)null : t.Item2, t.Item3)).Array[20];

    [Fact]
    public void MatchesASortedSet() =>
        Gen.Select(GenOps, GenScans).Sample(t => Run(t.Item1, t.Item2), iter: 40, threads: 1,
            print: t => $"{t.Item1.Length} ops: {string.Join(",", t.Item1.Take(50).Select(o => (o.Add ? "+" : "-") + o.Key))}…");

    private static void Run((bool Add, int Key)[] ops, (int From, int? To, bool Back)[] scans)
    {
        var tree = new KeyBTree();
        var model = new SortedSet<byte[]>(Order);
        foreach (var (add, k) in ops)
        {
            var key = Key(k);
            if (add)
            {
                if (model.Add(key))
                {
                    tree.Add(new KeyIndex(key));
                }
                else
                {
                    Assert.NotNull(tree.Find(key));
                }
            }
            else
            {
                Assert.Equal(model.Remove(key), tree.Remove(key));
            }
        }

        tree.Verify();
        Assert.Equal(model.Count, tree.Count);
        Assert.Equal(model.Select(Encoding.ASCII.GetString), tree.All().Select(e => Encoding.ASCII.GetString(e.Key)));
        foreach (var (from, to, back) in scans)
        {
            var lo = Key(from);
            var hi = to is int t ? Key(t) : null;
            var expected = model.Where(k => Order.Compare(k, lo) >= 0 && (hi is null || Order.Compare(k, hi) < 0)).Select(Encoding.ASCII.GetString);
            var got = (back ? tree.Descending(lo, hi) : tree.Ascending(lo, hi)).Select(e => Encoding.ASCII.GetString(e.Key));
            Assert.Equal(back ? expected.Reverse() : expected, got);
        }
    }

    [Fact]
    public void KeysAddedInOrderFillLeavesAndRemovingAllLeavesAnEmptyTree()
    {
        var tree = new KeyBTree();
        const int n = 100_000;
        for (int i = 0; i < n; i++)
        {
            tree.Add(new KeyIndex(Key(i)));
        }

        tree.Verify();
        Assert.Equal(n, tree.Count);
        Assert.Equal(Key(n - 1), tree.Descending(Key(0), null).First().Key);
        for (int i = 0; i < n; i += 2)
        {
            Assert.True(tree.Remove(Key(i)));
        }

        tree.Verify();
        Assert.Equal(n / 2, tree.Count);
        Assert.Null(tree.Find(Key(0)));
        Assert.NotNull(tree.Find(Key(1)));
        for (int i = n - 1; i >= 0; i -= 2)
        {
            Assert.True(tree.Remove(Key(i)));
        }

        tree.Verify();
        Assert.Equal(0, tree.Count);
        Assert.Empty(tree.All());
        Assert.Empty(tree.Ascending(Key(0), null));
        Assert.False(tree.Remove(Key(1)));
    }

    [Fact]
    public void AddingAKeyTwiceIsRefused()
    {
        var tree = new KeyBTree();
        tree.Add(new KeyIndex(Key(1)));
        Assert.Throws<InvalidOperationException>(() => tree.Add(new KeyIndex(Key(1))));
    }
}
