using KvCluster.Kv;
using KvCluster.Kv.Lease;
using KvCluster.Kv.Mvcc;
using KvCluster.KvServer.Rpc;
using M = KvCluster.Kv.Mvcc;

namespace KvCluster.KvServer.Consensus;

/// <summary>
/// A cluster of one: every request is applied by the local engine at once (its own WAL makes it
/// durable), the member is always the leader, and every read is already linearizable.
/// </summary>
public sealed class StandaloneConsensus(MvccStore store, ulong memberId) : IConsensus
{
    public ValueTask<M.PutResponse> PutAsync(Api.PutRequest request, CancellationToken ct) =>
        store.PutAsync(request.ToEngine(), 0, ct);

    public ValueTask<M.DeleteRangeResponse> DeleteRangeAsync(Api.DeleteRangeRequest request, CancellationToken ct) =>
        store.DeleteRangeAsync(request.ToEngine(), 0, ct);

    public ValueTask<M.TxnResponse> TxnAsync(Api.TxnRequest request, CancellationToken ct) =>
        store.TxnAsync(request.ToEngine(), 0, ct);

    public ValueTask<M.CompactResponse> CompactAsync(Api.CompactionRequest request, CancellationToken ct) =>
        store.CompactAsync(request.Revision, request.Physical, 0, ct);

    public ValueTask<LeaseGrant> LeaseGrantAsync(Api.LeaseGrantRequest request, CancellationToken ct) =>
        store.LeaseGrantAsync(request.ID, request.TTL, 0, ct);

    public ValueTask<long> LeaseRevokeAsync(long id, CancellationToken ct) => store.LeaseRevokeAsync(id, 0, ct);

    public ValueTask<long> LeaseKeepAliveAsync(long id, CancellationToken ct) => ValueTask.FromResult(store.LeaseKeepAlive(id));

    public ValueTask<LeaseStatus> LeaseTimeToLiveAsync(long id, bool keys, CancellationToken ct) =>
        ValueTask.FromResult(store.LeaseTimeToLive(id, keys));

    public ValueTask ReadBarrierAsync(CancellationToken ct) => ValueTask.CompletedTask;

    // Without Raft each write is one applied entry: the revision counts them.
    public ConsensusStatus Status => new(memberId, 1, store.Revision, store.Revision);
}
