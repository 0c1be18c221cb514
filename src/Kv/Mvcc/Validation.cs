namespace KvCluster.Kv.Mvcc;

/// <summary>Request checks done before anything runs, with etcd's errors.</summary>
internal static class Validation
{
    public static void RequireKey(byte[] key)
    {
        if (key is null || key.Length == 0)
        {
            throw KvException.EmptyKey();
        }
    }

    public static void CheckPut(PutRequest r)
    {
        RequireKey(r.Key);
        if (r.IgnoreValue && r.Value.Length != 0)
        {
            throw KvException.ValueProvided();
        }

        if (r.IgnoreLease && r.Lease != 0)
        {
            throw KvException.LeaseProvided();
        }
    }

    public static void CheckTxn(TxnRequest t, int maxOps)
    {
        CheckOps(t, maxOps);
        Intervals(t.Success);
        Intervals(t.Failure);
    }

    /// <summary>True when some branch of the txn (at any depth) writes.</summary>
    public static bool IsWrite(TxnRequest t) => t.Success.Concat(t.Failure).Any(op => op.Put is not null || op.DeleteRange is not null || (op.Txn is { } n && IsWrite(n)));

    private static void CheckOps(TxnRequest t, int maxOps)
    {
        if (t.Compare.Count > maxOps || t.Success.Count > maxOps || t.Failure.Count > maxOps)
        {
            throw KvException.TooManyOps();
        }

        foreach (var c in t.Compare)
        {
            RequireKey(c.Key);
        }

        foreach (var op in t.Success.Concat(t.Failure))
        {
            if (op.Range is { } r)
            {
                RequireKey(r.Key);
            }
            else if (op.Put is { } p)
            {
                CheckPut(p);
            }
            else if (op.DeleteRange is { } d)
            {
                RequireKey(d.Key);
            }
            else if (op.Txn is { } n)
            {
                CheckOps(n, maxOps);
            }
        }
    }

    /// <summary>
    /// etcd's checkIntervals: within one op list (nested txns included) a key may be put once, and
    /// not both put and deleted. The two branches of a nested txn exclude each other, so a key put
    /// in both is allowed.
    /// </summary>
    private static (HashSet<byte[]> Puts, List<KeyRange> Dels) Intervals(IReadOnlyList<RequestOp> ops)
    {
        var dels = ops.Where(o => o.DeleteRange is not null).Select(o => new KeyRange(o.DeleteRange!.Key, o.DeleteRange.RangeEnd)).ToList();
        var puts = new HashSet<byte[]>(ByteArrayComparer.Instance);
        foreach (var op in ops)
        {
            if (op.Txn is not { } n)
            {
                continue;
            }

            var (putsThen, delsThen) = Intervals(n.Success);
            var (putsElse, delsElse) = Intervals(n.Failure);
            foreach (var k in putsThen)
            {
                AddPut(puts, dels, k);
            }

            foreach (var k in putsElse)
            {
                if (puts.Contains(k) && putsThen.Contains(k))
                {
                    continue;
                }

                AddPut(puts, dels, k);
            }

            dels.AddRange(delsThen);
            dels.AddRange(delsElse);
        }

        foreach (var op in ops)
        {
            if (op.Put is { } p)
            {
                AddPut(puts, dels, p.Key);
            }
        }

        return (puts, dels);
    }

    private static void AddPut(HashSet<byte[]> puts, List<KeyRange> dels, byte[] key)
    {
        if (!puts.Add(key) || dels.Any(d => d.Contains(key)))
        {
            throw KvException.DuplicateKey();
        }
    }
}
