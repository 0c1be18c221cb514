namespace KvCluster.ApiServer.Storage;

// The apiserver's only seam to the key-value store. Two implementations: EmbeddedStore (src/Kv in
// process, the single-machine default) and EtcdStore (etcd's v3 gRPC protocol: a kvserver cluster or
// a real etcd). Keys are strings (/registry/…), values the object's JSON; every write is a txn
// guarded on the key's mod revision, so concurrent writers never lose an update.

/// <summary>One stored object: its key, its bytes, and the revision of its last change.</summary>
public sealed record StoredObject(string Key, byte[] Value, long ModRevision);

/// <summary>A list read at <see cref="Revision"/>; <see cref="More"/> when cut by the limit.</summary>
public sealed record StoredList(long Revision, IReadOnlyList<StoredObject> Items, bool More, long Remaining);

/// <summary>The outcome of a guarded write: the new revision, or the object found instead (null = absent).</summary>
public sealed record WriteResult(bool Succeeded, long Revision, StoredObject? Current);

public enum StoreEventType { Put, Delete, Progress }

/// <summary>
/// A change seen by a store watch. For a delete, <see cref="Value"/> is the value before it. A
/// Progress event has no key: every change up to <see cref="Revision"/> has been delivered.
/// </summary>
public sealed record StoreEvent(StoreEventType Type, string Key, byte[] Value, long Revision, bool Created);

/// <summary>A read or watch below the store's compaction point.</summary>
public sealed class StoreCompactedException(long compactRevision)
    : Exception($"required revision has been compacted (compacted at {compactRevision})")
{
    public long CompactRevision { get; } = compactRevision;
}

public interface IObjectStore : IAsyncDisposable
{
    /// <summary>The store's current revision (a linearizable read).</summary>
    Task<long> CurrentRevisionAsync(CancellationToken ct);

    Task<StoredObject?> GetAsync(string key, CancellationToken ct);

    /// <summary>Objects whose key starts with <paramref name="prefix"/>, in key order, from the key after <paramref name="startAfter"/>.</summary>
    /// <param name="revision">0 = current; otherwise read as of that revision (may throw <see cref="StoreCompactedException"/>).</param>
    /// <param name="limit">0 = no limit.</param>
    Task<StoredList> ListAsync(string prefix, long revision, string? startAfter, long limit, CancellationToken ct);

    /// <summary>Writes <paramref name="key"/> only if it is absent.</summary>
    Task<WriteResult> CreateAsync(string key, byte[] value, CancellationToken ct);

    /// <summary>Writes <paramref name="key"/> only if its mod revision is still <paramref name="modRevision"/>.</summary>
    Task<WriteResult> UpdateAsync(string key, byte[] value, long modRevision, CancellationToken ct);

    /// <summary>Deletes <paramref name="key"/> only if its mod revision is still <paramref name="modRevision"/>.</summary>
    Task<WriteResult> DeleteAsync(string key, long modRevision, CancellationToken ct);

    /// <summary>Every change under <paramref name="prefix"/> from <paramref name="fromRevision"/> on, in revision order.</summary>
    IStoreWatch Watch(string prefix, long fromRevision);
}

/// <summary>One store watch: its events, and progress on request (etcd's WatchProgressRequest).</summary>
public interface IStoreWatch : IAsyncDisposable
{
    /// <summary>The changes, in revision order, with Progress events in between when asked for. Throws <see cref="StoreCompactedException"/> when the start is compacted.</summary>
    IAsyncEnumerable<StoreEvent> ReadAllAsync(CancellationToken ct);

    /// <summary>Asks for a Progress event: it tells how far the watch has delivered, even when nothing under its prefix changed.</summary>
    Task RequestProgressAsync(CancellationToken ct);
}
