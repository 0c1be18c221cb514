namespace KvCluster.Kv.Mvcc;

/// <summary>
/// The history of one key: every revision that put or deleted it, oldest first.
/// <para>
/// A delete appends a tombstone and so ends a generation; the next put starts a new one.
/// Example — "foo" put at 1, put at 2, deleted at 3, put at 5:
/// <code>
///   revs: 1.0  2.0  3.0(t)  5.0      generations: {1.0, 2.0, 3.0(t)} {5.0}
///   Get(2) = 2.0   Get(3) = none (tombstone)   Get(4) = none   Get(9) = 5.0
/// </code>
/// Compact(4) keeps what a read at revision 4 or later can see: it drops 1.0, 2.0 and 3.0(t),
/// leaving {5.0}. Compact(3) keeps 3.0(t) because the tombstone sits exactly at the compaction
/// revision, so a watcher starting there still sees the delete.
/// </para>
/// Revisions are stored packed (see <see cref="Revision.Pack"/>): the first inline, the others in a
/// growable array, so that a key written once costs one small object. Like etcd's keyIndex, it also
/// remembers the current generation's create revision and version, and the live value's lease, so
/// that a put or a delete never has to read the previous record.
/// One writer at a time (<see cref="TreeIndex"/> serializes them). Readers either hold the tree's
/// read lock, or use <see cref="TryGetConcurrent"/>, which needs no lock: every change is bracketed by
/// a sequence counter (odd while changing), and a reader retries when it saw a change in flight.
/// </summary>
internal sealed class KeyIndex
{
    private long _first;
    private long[]? _rest;
    private int _count;
    private long _created;
    private long _version;
    private long _lease;
    private long _address;
    private int _seq;

    public KeyIndex(byte[] key) => Key = key;

    public byte[] Key { get; }

    public int Count => _count;

    /// <summary>True when the newest revision is a put, i.e. the key currently exists.</summary>
    public bool IsLive => _count > 0 && !Revision.IsTombstone(PackedAt(_count - 1));

    public long PackedAt(int i) => i == 0 ? _first : _rest![i - 1];

    /// <summary>Create revision of the live value (0 when the key does not exist).</summary>
    public long CreateRevision => IsLive ? _created : 0;

    /// <summary>Version of the live value (0 when the key does not exist).</summary>
    public long Version => IsLive ? _version : 0;

    /// <summary>Lease of the live value (0 when none or when the key does not exist).</summary>
    public long Lease => IsLive ? _lease : 0;

    /// <summary>Appends a put; a put on a deleted (or new) key starts a generation.</summary>
    public void Put(Revision rev, long lease)
    {
        long packed = rev.Pack(tombstone: false);
        CheckNewer(packed);
        BeginWrite();
        if (IsLive)
        {
            _version++;
        }
        else
        {
            _created = rev.Main;
            _version = 1;
        }

        _lease = lease;
        Append(packed);
        EndWrite();
    }

    /// <summary>Re-adds a stored revision while rebuilding; a put brings its record's create revision, version and lease.</summary>
    public void Restore(Revision rev, bool tombstone, long created, long version, long lease)
    {
        CheckNewer(rev.Pack(tombstone));
        BeginWrite();
        Append(rev.Pack(tombstone));
        if (!tombstone)
        {
            (_created, _version, _lease) = (created, version, lease);
        }

        EndWrite();
    }

    /// <summary>Ends the current generation; returns false (and changes nothing) if the key is not live.</summary>
    public bool Tombstone(Revision rev)
    {
        if (!IsLive)
        {
            return false;
        }

        CheckNewer(rev.Pack(tombstone: true));
        BeginWrite();
        Append(rev.Pack(tombstone: true));
        EndWrite();
        return true;
    }

    /// <summary>The revision of the value visible at <paramref name="atRev"/>, or false if the key does not exist then.</summary>
    public bool TryGet(long atRev, out Revision rev)
    {
        int i = LastAtOrBefore(atRev);
        if (i < 0 || Revision.IsTombstone(PackedAt(i)))
        {
            rev = default;
            return false;
        }

        rev = Revision.Unpack(PackedAt(i));
        return true;
    }

    /// <summary>
    /// Drops the revisions no read at or after <paramref name="atRev"/> can see and adds them to
    /// <paramref name="removed"/>. Returns true when nothing is left (the key can leave the tree).
    /// </summary>
    public bool Compact(long atRev, List<Revision> removed)
    {
        int visible = LastAtOrBefore(atRev);
        if (visible < 0)
        {
            return _count == 0;
        }

        long v = PackedAt(visible);
        int drop = Revision.IsTombstone(v) && Revision.Unpack(v).Main < atRev ? visible + 1 : visible;
        if (drop == 0)
        {
            return false;
        }

        var kept = new long[_count - drop];
        for (int i = 0; i < _count; i++)
        {
            if (i < drop)
            {
                removed.Add(Revision.Unpack(PackedAt(i)));
            }
            else
            {
                kept[i - drop] = PackedAt(i);
            }
        }

        BeginWrite();
        _count = 0;
        _rest = null;
        foreach (long packed in kept)
        {
            Append(packed);
        }

        EndWrite();
        return _count == 0;
    }

    /// <summary>
    /// <see cref="TryGet"/> without any lock, safe against the single writer changing this key at the
    /// same time (seqlock: read, then check that no change started or ended meanwhile).
    /// </summary>
    public bool TryGetConcurrent(long atRev, out Revision rev) => TryGetConcurrent(atRev, out rev, out _);

    /// <summary>
    /// As above, also giving the storage address of the revision found when it is the newest one (0 otherwise, or
    /// when none was recorded): a hint for reading its record without a hash lookup, checked by the reader.
    /// </summary>
    public bool TryGetConcurrent(long atRev, out Revision rev, out long address)
    {
        var spin = default(SpinWait);
        while (true)
        {
            int seq = Volatile.Read(ref _seq);
            if ((seq & 1) == 0 && TryReadSnapshot(atRev, out bool found, out rev, out bool newest))
            {
                long hint = found && newest ? Volatile.Read(ref _address) : 0;
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _seq) == seq)
                {
                    address = hint;
                    return found;
                }
            }

            spin.SpinOnce();
        }
    }

    /// <summary>
    /// Records where a put's record was stored; 0 forgets it. Called by whichever thread stores the record (the
    /// store's committer, some time after the put), so outside the writer's sequence counter: the address may
    /// belong to an older or a newer revision than the one a reader finds, which is why it is only a hint and the
    /// reader checks the record's own revision (<c>FasterRecordStore.ReadKeyValueAt</c>).
    /// </summary>
    public void SetAddress(long address) => Volatile.Write(ref _address, address);

    /// <summary>
    /// Reads the fields once; false when they are visibly inconsistent (a change is in flight). <paramref name="newest"/>:
    /// the revision found is the key's newest.
    /// </summary>
    private bool TryReadSnapshot(long atRev, out bool found, out Revision rev, out bool newest)
    {
        int count = Volatile.Read(ref _count);
        long first = _first;
        long[]? rest = _rest;
        found = false;
        rev = default;
        newest = false;
        if (count > 1 && (rest is null || rest.Length < count - 1))
        {
            return false;
        }

        int at = LastAtOrBefore(first, rest, count, atRev);
        if (at >= 0)
        {
            long v = at == 0 ? first : rest![at - 1];
            if (!Revision.IsTombstone(v))
            {
                found = true;
                rev = Revision.Unpack(v);
                newest = at == count - 1;
            }
        }

        return true;
    }

    private void BeginWrite() => Interlocked.Increment(ref _seq);

    private void EndWrite() => Volatile.Write(ref _seq, _seq + 1);

    /// <summary>Index of the newest entry whose main revision is at or before <paramref name="atRev"/>, or -1.</summary>
    private int LastAtOrBefore(long atRev) => LastAtOrBefore(_first, _rest, _count, atRev);

    /// <summary>The search itself, over a copy of the fields, so the lock-free reader can use it too.</summary>
    private static int LastAtOrBefore(long first, long[]? rest, int count, long atRev)
    {
        long bound = Revision.PackedFloor(atRev + 1);
        int lo = 0, hi = count - 1, found = -1;
        while (lo <= hi)
        {
            // The first probe is the newest entry: most reads are at the current revision.
            int mid = lo == 0 && hi == count - 1 ? hi : (lo + hi) >>> 1;
            if ((mid == 0 ? first : rest![mid - 1]) < bound)
            {
                found = mid;
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return found;
    }

    /// <summary>Rejects an out-of-order revision before anything changes (so the sequence counter never stays odd).</summary>
    private void CheckNewer(long packed)
    {
        if (_count > 0 && PackedAt(_count - 1) >= packed)
        {
            throw new InvalidOperationException($"revision {Revision.Unpack(packed)} is not newer than {Revision.Unpack(PackedAt(_count - 1))}");
        }
    }

    private void Append(long packed)
    {

        if (_count == 0)
        {
            _first = packed;
        }
        else
        {
            if (_rest is null || _count - 1 == _rest.Length)
            {
                Array.Resize(ref _rest, _rest is null ? 1 : _rest.Length * 2);
            }

            _rest[_count - 1] = packed;
        }

        _count++;
    }
}
