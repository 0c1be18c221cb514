namespace KvCluster.Kv.Mvcc;

/// <summary>
/// etcd's key/range_end convention: an empty end means the single key; an end of "\0" means every
/// key at or after <see cref="Key"/>; a key of "\0" with an end of "\0" means every key; otherwise
/// the half-open interval [key, end).
/// </summary>
public readonly record struct KeyRange(byte[] Key, byte[]? End)
{
    public bool IsSingleKey => End is null || End.Length == 0;

    /// <summary>True when the range has no upper bound (end is "\0").</summary>
    public bool IsOpenEnded => End is [0];

    public bool Contains(ReadOnlySpan<byte> key)
    {
        if (IsSingleKey)
        {
            return key.SequenceEqual(Key);
        }

        if (key.SequenceCompareTo(Key) < 0)
        {
            return false;
        }

        return IsOpenEnded || key.SequenceCompareTo(End) < 0;
    }

    /// <summary>True when the two ranges share at least one key.</summary>
    public bool Overlaps(KeyRange other)
    {
        if (IsSingleKey)
        {
            return other.Contains(Key);
        }

        if (other.IsSingleKey)
        {
            return Contains(other.Key);
        }

        bool thisEndsBeforeOther = !IsOpenEnded && End.AsSpan().SequenceCompareTo(other.Key) <= 0;
        bool otherEndsBeforeThis = !other.IsOpenEnded && other.End.AsSpan().SequenceCompareTo(Key) <= 0;
        return !thisEndsBeforeOther && !otherEndsBeforeThis;
    }
}
