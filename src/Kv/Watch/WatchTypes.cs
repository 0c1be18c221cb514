using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Watch;

/// <summary>etcd's WatchCreateRequest, minus the per-stream watch id (the gRPC layer owns those).</summary>
public sealed record WatchRequest(byte[] Key, byte[]? RangeEnd = null)
{
    /// <summary>First revision to deliver; 0 means "from the next write".</summary>
    public long StartRevision { get; init; }
    public bool NoPut { get; init; }
    public bool NoDelete { get; init; }
    public bool PrevKv { get; init; }
    public bool ProgressNotify { get; init; }
}

/// <summary>
/// One delivery to a watcher: the events of one or more whole revisions (a revision is never split),
/// or a progress notification (no events; every revision up to <see cref="Revision"/> has been
/// delivered), or a cancellation.
/// </summary>
public sealed record WatchResponse(long Revision, IReadOnlyList<Event> Events)
{
    public bool Canceled { get; init; }
    public long CompactRevision { get; init; }
    public string CancelReason { get; init; } = "";
    public bool IsProgressNotify => Events.Count == 0 && !Canceled;
}

/// <summary>Where a watcher hub reads history it has not seen live.</summary>
internal interface IEventSource
{
    long CompactRevision { get; }

    /// <summary>The events of revisions [from, to], grouped by revision, oldest first.</summary>
    List<(long Revision, List<Event> Events)> ReadEvents(long from, long to, bool withPrevKv);

    /// <summary>The value of a key just before <paramref name="revision"/>, or null (none, or compacted).</summary>
    KeyValue? PrevKv(byte[] key, long revision);
}
