namespace KvCluster.KvServer.Auth;

/// <summary>
/// A set of key intervals [start, end) (end null = unbounded), merged so a question "is [a, b)
/// wholly covered?" is one sweep: two permissions [a, c) and [c, e) together cover [a, e).
/// </summary>
public sealed class KeyIntervals
{
    private readonly List<(byte[] Start, byte[]? End)> _merged;

    public KeyIntervals(IEnumerable<(byte[] Start, byte[]? End)> intervals)
    {
        _merged = [];
        foreach (var (start, end) in intervals.OrderBy(i => i.Start, Comparer))
        {
            if (_merged.Count > 0 && !Before(_merged[^1].End, start))
            {
                var last = _merged[^1];
                _merged[^1] = (last.Start, Max(last.End, end));
            }
            else
            {
                _merged.Add((start, end));
            }
        }
    }

    public static readonly Comparer<byte[]> Comparer = Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b));

    /// <summary>etcd's reading of (key, range_end): empty end = the key alone; end {0} = everything from key on.</summary>
    public static (byte[] Start, byte[]? End) Of(byte[] key, byte[] rangeEnd)
    {
        if (rangeEnd.Length == 0)
        {
            return (key, [.. key, 0]);
        }

        return rangeEnd is [0] ? (key, null) : (key, rangeEnd);
    }

    /// <summary>True when one merged interval holds all of [start, end).</summary>
    public bool Covers(byte[] start, byte[]? end)
    {
        foreach (var (s, e) in _merged)
        {
            if (Comparer.Compare(s, start) <= 0 && !Before(e, start))
            {
                return e is null || (end is not null && Comparer.Compare(end, e) <= 0);
            }
        }

        return false;
    }

    // Whether an exclusive end lies strictly before a start (a gap between them).
    private static bool Before(byte[]? end, byte[] start) => end is not null && Comparer.Compare(end, start) < 0;

    private static byte[]? Max(byte[]? a, byte[]? b) => a is null || b is null ? null : Comparer.Compare(a, b) >= 0 ? a : b;
}
