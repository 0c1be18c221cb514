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
/// Revisions are stored packed (see <see cref="Revision.Pack"/>) in one growable array: about 40
/// bytes of object plus 8 per revision, which keeps the index small with millions of keys.
/// Not thread-safe: <see cref="TreeIndex"/> serializes access.
/// </summary>
internal sealed class KeyIndex
{
    private static readonly long[] NoRevisions = [];

    private long[] _revs = NoRevisions;
    private int _count;

    public KeyIndex(byte[] key) => Key = key;

    public byte[] Key { get; }

    public int Count => _count;

    public bool IsEmpty => _count == 0;

    /// <summary>True when the newest revision is a put, i.e. the key currently exists.</summary>
    public bool IsLive => _count > 0 && !Revision.IsTombstone(_revs[_count - 1]);

    public long PackedAt(int i) => _revs[i];

    public void Put(Revision rev) => Append(rev.Pack(tombstone: false));

    public void Restore(Revision rev, bool tombstone) => Append(rev.Pack(tombstone));

    /// <summary>Ends the current generation; returns false (and changes nothing) if the key is not live.</summary>
    public bool Tombstone(Revision rev)
    {
        if (!IsLive)
        {
            return false;
        }

        Append(rev.Pack(tombstone: true));
        return true;
    }

    /// <summary>The revision of the value visible at <paramref name="atRev"/>, or false if the key does not exist then.</summary>
    public bool TryGet(long atRev, out Revision rev)
    {
        int i = LastAtOrBefore(atRev);
        if (i < 0 || Revision.IsTombstone(_revs[i]))
        {
            rev = default;
            return false;
        }

        rev = Revision.Unpack(_revs[i]);
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

        long v = _revs[visible];
        int drop = Revision.IsTombstone(v) && Revision.Unpack(v).Main < atRev ? visible + 1 : visible;
        for (int i = 0; i < drop; i++)
        {
            removed.Add(Revision.Unpack(_revs[i]));
        }

        if (drop > 0)
        {
            Array.Copy(_revs, drop, _revs, 0, _count - drop);
            _count -= drop;
            if (_count == 0)
            {
                _revs = NoRevisions;
            }
            else if (_revs.Length > 4 && _count < _revs.Length / 4)
            {
                Array.Resize(ref _revs, _count);
            }
        }

        return _count == 0;
    }

    /// <summary>Index of the newest entry whose main revision is at or before <paramref name="atRev"/>, or -1.</summary>
    private int LastAtOrBefore(long atRev)
    {
        long bound = Revision.PackedFloor(atRev + 1);
        // Fast path: most reads are at the current revision and see the newest entry.
        if (_count > 0 && _revs[_count - 1] < bound)
        {
            return _count - 1;
        }

        int lo = 0, hi = _count - 1, found = -1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_revs[mid] < bound)
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

    private void Append(long packed)
    {
        if (_count > 0 && _revs[_count - 1] >= packed)
        {
            throw new InvalidOperationException($"revision {Revision.Unpack(packed)} is not newer than {Revision.Unpack(_revs[_count - 1])}");
        }

        if (_count == _revs.Length)
        {
            Array.Resize(ref _revs, _count == 0 ? 1 : _count * 2);
        }

        _revs[_count++] = packed;
    }
}
