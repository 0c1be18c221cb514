using KvCluster.Kv.Lease;
using M = KvCluster.Kv.Mvcc;

namespace KvCluster.KvServer.Consensus;

/// <summary>
/// How a member turns client requests into applied state: alone (<see cref="StandaloneConsensus"/>,
/// a single member applies at once) or through Raft (<see cref="Raft.RaftConsensus"/>). The gRPC
/// services validate and authorize, then call this; reads other than linearizable fences go to the
/// local engine directly.
/// </summary>
public interface IConsensus
{
    ValueTask<M.PutResponse> PutAsync(Api.PutRequest request, CancellationToken ct);

    ValueTask<M.DeleteRangeResponse> DeleteRangeAsync(Api.DeleteRangeRequest request, CancellationToken ct);

    /// <summary>A txn that writes goes through the log; a read-only one is a linearizable read.</summary>
    ValueTask<M.TxnResponse> TxnAsync(Api.TxnRequest request, CancellationToken ct);

    ValueTask<M.CompactResponse> CompactAsync(Api.CompactionRequest request, CancellationToken ct);

    ValueTask<LeaseGrant> LeaseGrantAsync(Api.LeaseGrantRequest request, CancellationToken ct);

    ValueTask<long> LeaseRevokeAsync(long id, CancellationToken ct);

    /// <summary>Renews a lease on the member that expires leases (the leader); returns its TTL.</summary>
    ValueTask<long> LeaseKeepAliveAsync(long id, CancellationToken ct);

    /// <summary>The lease's remaining TTL as the leader sees it.</summary>
    ValueTask<LeaseStatus> LeaseTimeToLiveAsync(long id, bool keys, CancellationToken ct);

    /// <summary>Returns once every write committed before the call is visible in the local engine.</summary>
    ValueTask ReadBarrierAsync(CancellationToken ct);

    /// <summary>Leader, term and log positions, for response headers and Maintenance.Status.</summary>
    ConsensusStatus Status { get; }
}

/// <summary>Leader is 0 when there is none.</summary>
public readonly record struct ConsensusStatus(ulong Leader, ulong Term, long CommitIndex, long AppliedIndex);
