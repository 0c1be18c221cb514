namespace KvCluster.Kv.Mvcc;

/// <summary>
/// The ordered half of <see cref="TreeIndex"/>: a B+tree of <see cref="KeyIndex"/> entries sorted by
/// their key bytes, as etcd keeps its key index in a B-tree. Entries sit in leaves of up to
/// <see cref="LeafSize"/> (linked both ways for range scans in either direction); inner nodes hold the
/// first key of each child. Compared with a red-black tree (one 48-byte node per key) a key costs about
/// one array slot here. Appending past the last key fills leaves to the brim instead of splitting them
/// in half, so keys written in order (the common case: sequential names) leave no slack.
/// Not thread-safe: the owner serializes writers against readers (TreeIndex's lock).
/// </summary>
internal sealed class KeyBTree
{
    internal const int LeafSize = 64;
    internal const int InnerSize = 64;

    private Node _root = new Leaf();

    public int Count { get; private set; }

    private abstract class Node
    {
        public int Count;

        public Inner? Parent;
    }

    private sealed class Leaf : Node
    {
        public readonly KeyIndex[] Items = new KeyIndex[LeafSize];
        public Leaf? Next;
        public Leaf? Prev;
    }

    /// <summary>Children[i] holds the keys from Keys[i] (inclusive) to Keys[i + 1]; Keys[0] is not used for search.</summary>
    private sealed class Inner : Node
    {
        public readonly byte[][] Keys = new byte[InnerSize][];
        public readonly Node[] Children = new Node[InnerSize];
    }

    private static int Compare(byte[] a, byte[] b) => a.AsSpan().SequenceCompareTo(b);

    /// <summary>The child of <paramref name="n"/> whose key range holds <paramref name="key"/>.</summary>
    private static int ChildFor(Inner n, byte[] key)
    {
        int lo = 1, hi = n.Count - 1, at = 0;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Compare(n.Keys[mid], key) <= 0)
            {
                at = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return at;
    }

    /// <summary>Index of the first item of <paramref name="leaf"/> whose key is >= <paramref name="key"/> (Count when none).</summary>
    private static int LowerBound(Leaf leaf, byte[] key)
    {
        int lo = 0, hi = leaf.Count;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (Compare(leaf.Items[mid].Key, key) < 0)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private Leaf LeafFor(byte[] key)
    {
        var n = _root;
        while (n is Inner inner)
        {
            n = inner.Children[ChildFor(inner, key)];
        }

        return (Leaf)n;
    }

    private Leaf First()
    {
        var n = _root;
        while (n is Inner inner)
        {
            n = inner.Children[0];
        }

        return (Leaf)n;
    }

    private Leaf Last()
    {
        var n = _root;
        while (n is Inner inner)
        {
            n = inner.Children[inner.Count - 1];
        }

        return (Leaf)n;
    }

    public KeyIndex? Find(byte[] key)
    {
        var leaf = LeafFor(key);
        int i = LowerBound(leaf, key);
        return i < leaf.Count && Compare(leaf.Items[i].Key, key) == 0 ? leaf.Items[i] : null;
    }

    /// <summary>Adds an entry whose key is not in the tree yet.</summary>
    public void Add(KeyIndex entry)
    {
        var leaf = LeafFor(entry.Key);
        int i = LowerBound(leaf, entry.Key);
        if (i < leaf.Count && Compare(leaf.Items[i].Key, entry.Key) == 0)
        {
            throw new InvalidOperationException("the key is already in the index");
        }

        Count++;
        if (leaf.Count < LeafSize)
        {
            InsertAt(leaf, i, entry);
            return;
        }

        // Full: past the last key of the whole tree, start a new leaf; elsewhere split in half.
        var right = new Leaf();
        if (i == LeafSize && leaf.Next is null)
        {
            right.Items[0] = entry;
            right.Count = 1;
        }
        else
        {
            int half = LeafSize / 2;
            Array.Copy(leaf.Items, half, right.Items, 0, LeafSize - half);
            Array.Clear(leaf.Items, half, LeafSize - half);
            right.Count = LeafSize - half;
            leaf.Count = half;
            if (i <= half)
            {
                InsertAt(leaf, i, entry);
            }
            else
            {
                InsertAt(right, i - half, entry);
            }
        }

        right.Next = leaf.Next;
        right.Prev = leaf;
        if (leaf.Next is not null)
        {
            leaf.Next.Prev = right;
        }

        leaf.Next = right;
        InsertChild(leaf, right, right.Items[0].Key);
    }

    private static void InsertAt(Leaf leaf, int i, KeyIndex entry)
    {
        Array.Copy(leaf.Items, i, leaf.Items, i + 1, leaf.Count - i);
        leaf.Items[i] = entry;
        leaf.Count++;
    }

    /// <summary>Links <paramref name="right"/>, just split off <paramref name="left"/>, into the parent, splitting upwards as needed.</summary>
    private void InsertChild(Node left, Node right, byte[] separator)
    {
        var parent = left.Parent;
        if (parent is null)
        {
            var root = new Inner { Count = 2 };
            root.Children[0] = left;
            root.Children[1] = right;
            root.Keys[0] = []; // never compared: child 0 holds everything below Keys[1]
            root.Keys[1] = separator;
            left.Parent = right.Parent = root;
            _root = root;
            return;
        }

        int at = Array.IndexOf(parent.Children, left, 0, parent.Count) + 1;
        if (parent.Count < InnerSize)
        {
            InsertAt(parent, at, separator, right);
            return;
        }

        var sibling = new Inner();
        bool append = at == InnerSize && IsRightmost(parent);
        int keep = append ? InnerSize : InnerSize / 2;
        Array.Copy(parent.Keys, keep, sibling.Keys, 0, InnerSize - keep);
        Array.Copy(parent.Children, keep, sibling.Children, 0, InnerSize - keep);
        Array.Clear(parent.Keys, keep, InnerSize - keep);
        Array.Clear(parent.Children, keep, InnerSize - keep);
        sibling.Count = InnerSize - keep;
        parent.Count = keep;
        for (int c = 0; c < sibling.Count; c++)
        {
            sibling.Children[c].Parent = sibling;
        }

        if (at <= keep && !append)
        {
            InsertAt(parent, at, separator, right);
        }
        else
        {
            InsertAt(sibling, at - keep, separator, right);
        }

        // The sibling's first key moves up: it is the separator between parent and sibling.
        InsertChild(parent, sibling, sibling.Keys[0]);
    }

    private static bool IsRightmost(Node n)
    {
        for (var p = n.Parent; p is not null; n = p, p = p.Parent)
        {
            if (p.Children[p.Count - 1] != n)
            {
                return false;
            }
        }

        return true;
    }

    private static void InsertAt(Inner n, int i, byte[] key, Node child)
    {
        Array.Copy(n.Keys, i, n.Keys, i + 1, n.Count - i);
        Array.Copy(n.Children, i, n.Children, i + 1, n.Count - i);
        n.Keys[i] = key;
        n.Children[i] = child;
        child.Parent = n;
        n.Count++;
    }

    /// <summary>Removes the entry with <paramref name="key"/>; false when there is none.</summary>
    public bool Remove(byte[] key)
    {
        var leaf = LeafFor(key);
        int i = LowerBound(leaf, key);
        if (i == leaf.Count || Compare(leaf.Items[i].Key, key) != 0)
        {
            return false;
        }

        Count--;
        Array.Copy(leaf.Items, i + 1, leaf.Items, i, leaf.Count - i - 1);
        leaf.Count--;
        leaf.Items[leaf.Count] = null!;
        if (leaf.Count < LeafSize / 4)
        {
            MergeLeaf(leaf);
        }

        return true;
    }

    /// <summary>An under-full leaf takes in its right neighbour, or goes into its left one, when they fit in one leaf (same parent only).</summary>
    private void MergeLeaf(Leaf leaf)
    {
        var parent = leaf.Parent;
        if (parent is null)
        {
            return; // the root leaf may hold anything down to nothing
        }

        int at = Array.IndexOf(parent.Children, leaf, 0, parent.Count);
        Leaf left, right;
        int rightAt;
        if (at + 1 < parent.Count && leaf.Count + parent.Children[at + 1].Count <= LeafSize)
        {
            (left, right, rightAt) = (leaf, (Leaf)parent.Children[at + 1], at + 1);
        }
        else if (at > 0 && leaf.Count + parent.Children[at - 1].Count <= LeafSize)
        {
            (left, right, rightAt) = ((Leaf)parent.Children[at - 1], leaf, at);
        }
        else if (leaf.Count == 0)
        {
            // No neighbour under this parent has room, yet an empty leaf must go: unlink it alone.
            Unlink(leaf);
            RemoveChild(parent, at);
            return;
        }
        else
        {
            return;
        }

        Array.Copy(right.Items, 0, left.Items, left.Count, right.Count);
        left.Count += right.Count;
        Unlink(right);
        RemoveChild(parent, rightAt); // never child 0: the right one of a pair
    }

    private static void Unlink(Leaf leaf)
    {
        if (leaf.Prev is not null)
        {
            leaf.Prev.Next = leaf.Next;
        }

        if (leaf.Next is not null)
        {
            leaf.Next.Prev = leaf.Prev;
        }

        leaf.Next = leaf.Prev = null;
    }

    /// <summary>Removes child <paramref name="at"/> of <paramref name="n"/>; an inner node left with one child is replaced by it, an empty one removed.</summary>
    private void RemoveChild(Inner n, int at)
    {
        Array.Copy(n.Keys, at + 1, n.Keys, at, n.Count - at - 1);
        Array.Copy(n.Children, at + 1, n.Children, at, n.Count - at - 1);
        n.Count--;
        n.Keys[n.Count] = null!;
        n.Children[n.Count] = null!;
        if (n.Count > 0)
        {
            n.Keys[0] = []; // child 0's lower bound is the parent's separator, never compared
        }

        if (n.Parent is null)
        {
            if (n.Count == 1)
            {
                _root = n.Children[0];
                _root.Parent = null;
            }
            else if (n.Count == 0)
            {
                _root = new Leaf();
            }

            return;
        }

        var parent = n.Parent;
        int me = Array.IndexOf(parent.Children, n, 0, parent.Count);
        if (n.Count == 0)
        {
            RemoveChild(parent, me);
            return;
        }

        if (n.Count >= InnerSize / 4)
        {
            return;
        }

        // Under-full: fold into a neighbour under the same parent when both fit in one node.
        if (me + 1 < parent.Count && n.Count + parent.Children[me + 1].Count <= InnerSize)
        {
            MergeInner(n, (Inner)parent.Children[me + 1], parent.Keys[me + 1]);
            RemoveChild(parent, me + 1);
        }
        else if (me > 0 && n.Count + parent.Children[me - 1].Count <= InnerSize)
        {
            MergeInner((Inner)parent.Children[me - 1], n, parent.Keys[me]);
            RemoveChild(parent, me);
        }
    }

    /// <summary>Appends the children of <paramref name="right"/> to <paramref name="left"/>; <paramref name="separator"/> was right's lower bound.</summary>
    private static void MergeInner(Inner left, Inner right, byte[] separator)
    {
        for (int c = 0; c < right.Count; c++)
        {
            left.Keys[left.Count + c] = c == 0 ? separator : right.Keys[c];
            left.Children[left.Count + c] = right.Children[c];
            right.Children[c].Parent = left;
        }

        left.Count += right.Count;
        right.Count = 0;
    }

    /// <summary>Every entry in key order.</summary>
    public IEnumerable<KeyIndex> All()
    {
        for (var leaf = First(); leaf is not null; leaf = leaf.Next)
        {
            for (int i = 0; i < leaf.Count; i++)
            {
                yield return leaf.Items[i];
            }
        }
    }

    /// <summary>Entries with <paramref name="from"/> &lt;= key &lt; <paramref name="to"/> (no upper bound when null), ascending.</summary>
    public IEnumerable<KeyIndex> Ascending(byte[] from, byte[]? to)
    {
        var leaf = LeafFor(from);
        int i = LowerBound(leaf, from);
        for (; leaf is not null; leaf = leaf.Next, i = 0)
        {
            for (; i < leaf.Count; i++)
            {
                var e = leaf.Items[i];
                if (to is not null && Compare(e.Key, to) >= 0)
                {
                    yield break;
                }

                yield return e;
            }
        }
    }

    /// <summary>The same entries as <see cref="Ascending"/>, newest key first.</summary>
    public IEnumerable<KeyIndex> Descending(byte[] from, byte[]? to)
    {
        Leaf? leaf;
        int i;
        if (to is null)
        {
            leaf = Last();
            i = leaf.Count - 1;
        }
        else
        {
            leaf = LeafFor(to);
            i = LowerBound(leaf, to) - 1;
        }

        for (; leaf is not null; leaf = leaf.Prev, i = leaf?.Count - 1 ?? 0)
        {
            for (; i >= 0; i--)
            {
                var e = leaf.Items[i];
                if (Compare(e.Key, from) < 0)
                {
                    yield break;
                }

                yield return e;
            }
        }
    }

    /// <summary>Checks the tree's invariants (order, counts, links, parents); for tests.</summary>
    internal void Verify()
    {
        int seen = 0;
        byte[]? prev = null;
        Leaf? prevLeaf = null;
        for (var leaf = First(); leaf is not null; prevLeaf = leaf, leaf = leaf.Next)
        {
            if (leaf.Prev != prevLeaf)
            {
                throw new InvalidOperationException("leaf Prev link broken");
            }

            if (leaf.Count == 0 && leaf != _root)
            {
                throw new InvalidOperationException("empty leaf left in the tree");
            }

            for (int i = 0; i < leaf.Count; i++)
            {
                if (prev is not null && Compare(prev, leaf.Items[i].Key) >= 0)
                {
                    throw new InvalidOperationException("keys out of order");
                }

                prev = leaf.Items[i].Key;
                seen++;
            }
        }

        if (seen != Count)
        {
            throw new InvalidOperationException($"count {Count}, {seen} entries in the leaves");
        }

        VerifyNode(_root, null, null);
    }

    private static void VerifyNode(Node n, byte[]? low, byte[]? high)
    {
        if (n is Leaf leaf)
        {
            for (int i = 0; i < leaf.Count; i++)
            {
                if ((low is not null && Compare(leaf.Items[i].Key, low) < 0) || (high is not null && Compare(leaf.Items[i].Key, high) >= 0))
                {
                    throw new InvalidOperationException("a key outside its leaf's bounds");
                }
            }

            return;
        }

        var inner = (Inner)n;
        if (inner.Count < 2 && inner.Parent is null)
        {
            throw new InvalidOperationException("a root with fewer than two children");
        }

        for (int c = 0; c < inner.Count; c++)
        {
            if (inner.Children[c].Parent != inner)
            {
                throw new InvalidOperationException("parent link broken");
            }

            if (c > 1 && Compare(inner.Keys[c - 1], inner.Keys[c]) >= 0)
            {
                throw new InvalidOperationException("separators out of order");
            }

            VerifyNode(inner.Children[c], c == 0 ? low : inner.Keys[c], c + 1 < inner.Count ? inner.Keys[c + 1] : high);
        }
    }
}
