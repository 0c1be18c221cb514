using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Mvcc;

public sealed partial class MvccStore
{
    public RangeResponse Range(RangeRequest request)
    {
        Validation.RequireKey(request.Key);
        KvMetrics.Ranges.Add(1);
        long current = Revision;
        return RangeAt(request, current, current);
    }

    /// <summary>
    /// A range as etcd's applier does it: count is every key of the range at the revision (before
    /// the min/max filters); with a sort or a filter everything is fetched and cut afterwards;
    /// otherwise limit + 1 are fetched so that <c>more</c> is exact.
    /// </summary>
    private RangeResponse RangeAt(RangeRequest r, long current, long headerRevision)
    {
        long rev = r.Revision <= 0 ? current : r.Revision;
        CheckReadable(rev, current);
        AfterReadCheck?.Invoke(rev);
        var response = RangeAtCore(r, rev, headerRevision);

        // A compaction that started after the check above may have dropped index entries this read
        // needed, making a key look absent. The compact revision is published before the index is
        // compacted, so re-checking it here catches exactly that case.
        if (rev < CompactRevision)
        {
            throw KvException.Compacted();
        }

        return response;
    }

    /// <summary>Test hook: runs between a read's compaction check and its index lookup (null in production).</summary>
    internal Action<long>? AfterReadCheck { get; set; }

    private RangeResponse RangeAtCore(RangeRequest r, long rev, long headerRevision)
    {
        var range = new KeyRange(r.Key, r.RangeEnd);
        if (r.CountOnly)
        {
            return new RangeResponse(headerRevision, [], false, _index.Count(range, rev));
        }

        if (range.IsSingleKey)
        {
            // The hot path: one hash lookup, one record read, no lists or sorting.
            if (!_index.TryGet(r.Key, rev, out var at, out var key, out long address))
            {
                return new RangeResponse(headerRevision, [], false, 0);
            }

            var kv = ReadKeyValue(at, key, address);
            return new RangeResponse(headerRevision, Pass(r, kv) ? [r.KeysOnly ? kv with { Value = [] } : kv] : [], false, 1);
        }

        bool fetchAll = r.SortOrder != SortOrder.None || r.MinModRevision != 0 || r.MaxModRevision != 0
            || r.MinCreateRevision != 0 || r.MaxCreateRevision != 0 || r.Limit <= 0;
        long fetch = fetchAll ? long.MaxValue : r.Limit + 1;
        var found = new List<(byte[] Key, Revision At)>();
        int total = _index.Range(range, rev, descending: false, (key, at) =>
        {
            if (found.Count < fetch)
            {
                found.Add((key, at));
            }

            return true;
        });

        var kvs = new List<KeyValue>(found.Count);
        foreach (var (key, at) in found)
        {
            var kv = ReadKeyValue(at, key);
            if (Pass(r, kv))
            {
                kvs.Add(r.KeysOnly ? kv with { Value = [] } : kv);
            }
        }

        Sort(kvs, r);
        bool more = false;
        if (r.Limit > 0 && kvs.Count > r.Limit)
        {
            kvs.RemoveRange((int)r.Limit, kvs.Count - (int)r.Limit);
            more = true;
        }

        return new RangeResponse(headerRevision, kvs, more, total);
    }

    private void CheckReadable(long rev, long current)
    {
        if (rev > current)
        {
            throw KvException.FutureRevision();
        }

        if (rev < CompactRevision)
        {
            throw KvException.Compacted();
        }
    }

    private static bool Pass(RangeRequest r, KeyValue kv) =>
        !(r.MaxModRevision != 0 && kv.ModRevision > r.MaxModRevision)
        && !(r.MinModRevision != 0 && kv.ModRevision < r.MinModRevision)
        && !(r.MaxCreateRevision != 0 && kv.CreateRevision > r.MaxCreateRevision)
        && !(r.MinCreateRevision != 0 && kv.CreateRevision < r.MinCreateRevision);

    private static void Sort(List<KeyValue> kvs, RangeRequest r)
    {
        var order = r.SortOrder;
        if (order == SortOrder.None && r.SortTarget != SortTarget.Key)
        {
            // The index returns keys ascending; any other target defaults to ascending (etcd does the same).
            order = SortOrder.Ascend;
        }

        if (order == SortOrder.None || (order == SortOrder.Ascend && r.SortTarget == SortTarget.Key))
        {
            return;
        }

        Comparison<KeyValue> cmp = r.SortTarget switch
        {
            SortTarget.Version => (a, b) => a.Version.CompareTo(b.Version),
            SortTarget.Create => (a, b) => a.CreateRevision.CompareTo(b.CreateRevision),
            SortTarget.Mod => (a, b) => a.ModRevision.CompareTo(b.ModRevision),
            SortTarget.Value => (a, b) => a.Value.AsSpan().SequenceCompareTo(b.Value),
            _ => (a, b) => a.Key.AsSpan().SequenceCompareTo(b.Key),
        };
        var sorted = order == SortOrder.Descend ? kvs.OrderByDescending(k => k, Comparer<KeyValue>.Create(cmp)) : kvs.OrderBy(k => k, Comparer<KeyValue>.Create(cmp));
        var copy = sorted.ToList();
        kvs.Clear();
        kvs.AddRange(copy);
    }

    /// <summary>
    /// The record of a revision the index points at, sharing the index's array of its key (<paramref name="key"/>).
    /// Missing means a compaction removed it meanwhile.
    /// </summary>
    /// <remarks>
    /// <paramref name="address"/>, when known (the index's hint), is tried first: a read there needs no hash lookup,
    /// and finds nothing when the record is not there any more, so the read goes by key.
    /// </remarks>
    private KeyValue ReadKeyValue(Revision at, byte[] key, long address = 0)
    {
        EnsureStored(at.Main);
        return (address != 0 ? _records.ReadKeyValueAt(address, at, key) : null)
            ?? _records.ReadKeyValue(at, key)
            ?? throw KvException.Compacted();
    }

    /// <summary>The value of a key at a revision, or null.</summary>
    private KeyValue? Get(byte[] key, long atRev) => _index.TryGet(key, atRev, out var at, out var indexKey) ? ReadKeyValue(at, indexKey) : null;

    /// <summary>etcd's applyCompare: every key of the range must satisfy it; no key compares as zero values, except VALUE, which fails.</summary>
    private bool Evaluate(Compare c, long atRev)
    {
        var range = new KeyRange(c.Key, c.RangeEnd);
        bool any = false, ok = true;
        _index.Range(range, atRev, descending: false, (key, at) =>
        {
            any = true;
            ok = CompareOne(c, ReadKeyValue(at, key));
            return ok;
        });

        if (!any)
        {
            return c.Target != CompareTarget.Value && CompareOne(c, new KeyValue([], [], 0, 0, 0, 0));
        }

        return ok;
    }

    private static bool CompareOne(Compare c, KeyValue kv)
    {
        int result = c.Target switch
        {
            CompareTarget.Version => kv.Version.CompareTo(c.Version),
            CompareTarget.Create => kv.CreateRevision.CompareTo(c.CreateRevision),
            CompareTarget.Mod => kv.ModRevision.CompareTo(c.ModRevision),
            CompareTarget.Value => kv.Value.AsSpan().SequenceCompareTo(c.Value),
            CompareTarget.Lease => kv.Lease.CompareTo(c.Lease),
            _ => 0, // as etcd: an unknown target compares equal
        };

        return c.Result switch
        {
            CompareResult.Equal => result == 0,
            CompareResult.NotEqual => result != 0,
            CompareResult.Greater => result > 0,
            CompareResult.Less => result < 0,
            _ => true, // as etcd: an unknown result holds
        };
    }

    /// <summary>The branch each txn (and nested txn) takes, decided before any op runs, against one view (as etcd does).</summary>
    private sealed record TxnPath(bool Succeeded, TxnPath?[] Nested);

    private TxnPath Plan(TxnRequest t, long atRev)
    {
        bool ok = t.Compare.All(c => Evaluate(c, atRev));
        var ops = ok ? t.Success : t.Failure;
        var nested = new TxnPath?[ops.Count];
        for (int i = 0; i < ops.Count; i++)
        {
            if (ops[i].Txn is { } inner)
            {
                nested[i] = Plan(inner, atRev);
            }
        }

        return new TxnPath(ok, nested);
    }
}
