namespace KvCluster.NodeAgent.Pods;

/// <summary>
/// The kubelet's restart back-off: 10 s, doubling to 5 min; reset once an instance ran 10 min.
/// (Image pulls use the same shape.)
/// </summary>
public sealed class Backoff(TimeSpan initial, TimeSpan max, TimeSpan resetAfter)
{
    public static Backoff Restart() => new(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));

    private TimeSpan _next = TimeSpan.Zero;

    /// <summary>How long to wait before the next start, given how long the last instance ran.</summary>
    public TimeSpan Next(TimeSpan lastRan)
    {
        if (lastRan >= resetAfter)
        {
            _next = TimeSpan.Zero;
        }

        _next = _next == TimeSpan.Zero ? initial : TimeSpan.FromTicks(Math.Min(_next.Ticks * 2, max.Ticks));
        return _next;
    }
}
