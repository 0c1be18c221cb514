using KvCluster.Kv.Lease;
using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Watch;

namespace KvCluster.Kv;

// The seams of the engine. The gRPC server, the Raft state machine and the API server's embedded
// store all reach the engine through these interfaces only.

/// <summary>Reads as of a revision. Reads never block writers.</summary>
public interface IReadView
{
    /// <summary>The newest revision visible to readers (every write up to it is durable).</summary>
    long Revision { get; }

    /// <summary>Reads below this revision fail with <see cref="KvErrorCode.Compacted"/>.</summary>
    long CompactRevision { get; }

    RangeResponse Range(RangeRequest request);
}

/// <summary>
/// The key space. Each write request takes the next revision and is acknowledged once durable.
/// <paramref name="appliedIndex"/> is the Raft log index the write comes from (0 outside Raft); the
/// highest one is persisted with the data so a restart resumes exactly there.
/// </summary>
public interface IKv : IReadView
{
    /// <summary>Highest Raft index applied (see <see cref="IKv"/>).</summary>
    long AppliedIndex { get; }

    ValueTask<PutResponse> PutAsync(PutRequest request, long appliedIndex = 0, CancellationToken ct = default);

    ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, long appliedIndex = 0, CancellationToken ct = default);

    ValueTask<TxnResponse> TxnAsync(TxnRequest request, long appliedIndex = 0, CancellationToken ct = default);

    /// <summary>Applies write requests in order, each with its own revision, with one WAL flush for all.</summary>
    ValueTask<IReadOnlyList<ApplyResult>> ApplyAsync(IReadOnlyList<RequestOp> requests, long appliedIndex = 0, CancellationToken ct = default);

    /// <summary>Forgets history before <paramref name="revision"/>; with <paramref name="physical"/>, returns once the space is reclaimed.</summary>
    ValueTask<CompactResponse> CompactAsync(long revision, bool physical = false, long appliedIndex = 0, CancellationToken ct = default);

    /// <summary>A hash of every record from the compact revision up to <paramref name="revision"/> (0 = current), for comparing replicas.</summary>
    HashKvResponse HashKv(long revision);
}

/// <summary>A key space that can be watched.</summary>
public interface IWatchableKv : IKv
{
    /// <summary>Starts a watch; events arrive on <see cref="Watcher.Responses"/>.</summary>
    Watcher Watch(WatchRequest request);

    /// <summary>Watchers open, and those of them catching up from the store (etcd's slow watchers).</summary>
    (int Total, int Slow) WatcherCounts { get; }
}

/// <summary>Leases: keys attached to a lease are deleted, in one revision, when it is revoked or expires.</summary>
public interface ILeases
{
    ValueTask<LeaseGrant> LeaseGrantAsync(long id, long ttl, long appliedIndex = 0, CancellationToken ct = default);

    ValueTask<long> LeaseRevokeAsync(long id, long appliedIndex = 0, CancellationToken ct = default);

    /// <summary>Renews a lease; returns its TTL. Only the primary lessor renews.</summary>
    long LeaseKeepAlive(long id);

    LeaseStatus LeaseTimeToLive(long id, bool keys);

    IReadOnlyList<long> Leases();
}

/// <summary>What an operator does to a store: measure it, back it up, give space back.</summary>
public interface IStoreMaintenance
{
    /// <summary>Bytes the store's files take on disk (etcd's dbSize).</summary>
    long DiskBytes { get; }

    /// <summary>Bytes of the record log that hold data (etcd's dbSizeInUse).</summary>
    long RecordLogBytes { get; }

    /// <summary>Writes a consistent snapshot of the whole store; returns its revision.</summary>
    Task<long> SnapshotAsync(Stream output, CancellationToken ct = default);

    /// <summary>Gives the space of deleted records back to the file system.</summary>
    Task DefragmentAsync(CancellationToken ct = default);
}
