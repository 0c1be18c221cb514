namespace KvCluster.Kv.Mvcc;

/// <summary>
/// The ordered in-memory index: key → <see cref="KeyIndex"/>, sorted by key bytes. Answers "which
/// revision of key K is visible at revision R" and ordered range scans. Readers run concurrently;
/// a writer excludes them only for the instant of its change. A hash map beside the tree (<see cref="KeyMap"/>)
/// answers single-key lookups (the commonest read, and every put) without walking the tree and,
/// for readers, without taking the lock (see <see cref="KeyIndex.TryGetConcurrent"/>).
/// </summary>
internal sealed class TreeIndex
{
    private readonly KeyBTree _tree = new();
    private readonly KeyMap _byKey = new();
    private readonly ReaderWriterLockSlim _lock = new(LockRecursionPolicy.NoRecursion);

    public int KeyCount
    {
        get
        {
            _lock.EnterReadLock();
            try { return _tree.Count; }
            finally { _lock.ExitReadLock(); }
        }
    }

    public bool TryGet(byte[] key, long atRev, out Revision rev) => TryGet(key, atRev, out rev, out _);

    /// <summary>As above, also giving the index's own array of the key (equal to <paramref name="key"/>, never changed).</summary>
    public bool TryGet(byte[] key, long atRev, out Revision rev, out byte[] indexKey) => TryGet(key, atRev, out rev, out indexKey, out _);

    /// <summary>As above, also giving the storage address hint of the revision found (see <see cref="KeyIndex.TryGetConcurrent(long, out Revision, out long)"/>).</summary>
    public bool TryGet(byte[] key, long atRev, out Revision rev, out byte[] indexKey, out long address)
    {
        if (_byKey.TryGetValue(key, out var ki))
        {
            indexKey = ki.Key;
            return ki.TryGetConcurrent(atRev, out rev, out address);
        }

        indexKey = key;
        rev = default;
        address = 0;
        return false;
    }

    /// <summary>
    /// Visits, in key order (or reverse), the revision visible at <paramref name="atRev"/> of each key in
    /// the range. The visitor returns false to stop early. Returns the number of keys visited.
    /// </summary>
    public int Range(KeyRange range, long atRev, bool descending, Func<byte[], Revision, bool> visit)
    {
        int n = 0;
        _lock.EnterReadLock();
        try
        {
            if (range.IsSingleKey)
            {
                if (_byKey.TryGetValue(range.Key, out var ki) && ki.TryGet(atRev, out var r))
                {
                    n++;
                    visit(ki.Key, r);
                }

                return n;
            }

            // An empty range (end at or before key) yields nothing in either direction.
            var end = range.IsOpenEnded ? null : range.End;
            foreach (var ki in descending ? _tree.Descending(range.Key, end) : _tree.Ascending(range.Key, end))
            {
                if (!ki.TryGet(atRev, out var r))
                {
                    continue;
                }

                n++;
                if (!visit(ki.Key, r))
                {
                    break;
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        return n;
    }

    /// <summary>Number of keys of the range that exist at <paramref name="atRev"/>.</summary>
    public int Count(KeyRange range, long atRev) => Range(range, atRev, descending: false, static (_, _) => true);

    /// <summary>
    /// Records a put (called only by the single writer) and returns what the new value's record needs:
    /// its create revision and version, and the lease of the value it replaces.
    /// </summary>
    public (long Created, long Version, long PrevLease, KeyIndex Entry) Put(byte[] key, Revision rev, long lease)
    {
        _lock.EnterWriteLock();
        try
        {
            var ki = GetOrAdd(key);
            long prevLease = ki.Lease;
            ki.Put(rev, lease);
            return (ki.CreateRevision, ki.Version, prevLease, ki);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Re-adds one revision while rebuilding from storage (a tombstone is kept even if it opens the history).</summary>
    public void Restore(byte[] key, Revision rev, bool tombstone, long created, long version, long lease)
    {
        _lock.EnterWriteLock();
        try
        {
            GetOrAdd(key).Restore(rev, tombstone, created, version, lease);
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Records a delete of a live key; returns the deleted value's lease. Called only by the single writer.</summary>
    public long Tombstone(byte[] key, Revision rev)
    {
        _lock.EnterWriteLock();
        try
        {
            if (!_byKey.TryGetValue(key, out var ki))
            {
                return 0;
            }

            long lease = ki.Lease;
            ki.Tombstone(rev);
            return lease;
        }
        finally
        {
            _lock.ExitWriteLock();
        }
    }

    /// <summary>Drops history no read at or after <paramref name="atRev"/> can see; returns the dropped revisions.</summary>
    public List<Revision> Compact(long atRev)
    {
        var removed = new List<Revision>();
        var emptied = new List<KeyIndex>();
        _lock.EnterWriteLock();
        try
        {
            foreach (var ki in _tree.All())
            {
                if (ki.Compact(atRev, removed))
                {
                    emptied.Add(ki);
                }
            }

            foreach (var ki in emptied)
            {
                _tree.Remove(ki.Key);
                _byKey.Remove(ki.Key);
            }
        }
        finally
        {
            _lock.ExitWriteLock();
        }

        return removed;
    }

    /// <summary>Every revision held, with its key and tombstone flag, up to <paramref name="maxRev"/> (for hashing and snapshots).</summary>
    public List<(long Packed, byte[] Key)> Revisions(long maxRev)
    {
        var all = new List<(long, byte[])>();
        long bound = Revision.PackedFloor(maxRev + 1);
        _lock.EnterReadLock();
        try
        {
            foreach (var ki in _tree.All())
            {
                for (int i = 0; i < ki.Count && ki.PackedAt(i) < bound; i++)
                {
                    all.Add((ki.PackedAt(i), ki.Key));
                }
            }
        }
        finally
        {
            _lock.ExitReadLock();
        }

        all.Sort(static (a, b) => a.Item1.CompareTo(b.Item1));
        return all;
    }

    private KeyIndex GetOrAdd(byte[] key)
    {
        if (!_byKey.TryGetValue(key, out var ki))
        {
            // The index keeps its own copy of a new key, on the pinned object heap: it lives as long as the key
            // does, and there the GC never copies it (a young array the index kept was copied into gen1 and again
            // into gen2: measured on a million new keys, a third of the bytes gen1 collections promoted). The
            // copy also keeps the index safe from a caller that reuses its array.
            var copy = GC.AllocateUninitializedArray<byte>(key.Length, pinned: true);
            key.CopyTo(copy);
            ki = new KeyIndex(copy);
            _byKey.Add(ki);
            _tree.Add(ki);
        }

        return ki;
    }
}
