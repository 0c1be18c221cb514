using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using DotNext.Net.Cluster.Consensus.Raft;
using Google.Protobuf;
using Grpc.Core;
using KvCluster.Kv;
using KvCluster.Kv.Lease;
using KvCluster.Kv.Mvcc;
using KvCluster.KvServer.Hosting;
using KvCluster.KvServer.Consensus;
using KvCluster.KvServer.Raft.Wire;
using KvCluster.KvServer.Rpc;
using M = KvCluster.Kv.Mvcc;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// Requests through Raft. A write becomes one log entry: the leader appends it; a follower sends it
/// to the leader's Peer service. Either way the proposing member answers its client from its own
/// apply of that entry (so a client reads its writes on the member it wrote to). Concurrent
/// proposals share the leader's log flushes and replication rounds. Linearizable reads wait for a
/// read barrier shared by every read that arrived before it started. Only the leader expires leases,
/// by proposing their revocation; keep-alives and TTL queries go to the leader.
/// </summary>
public sealed class RaftConsensus : IConsensus, IAsyncDisposable
{
    private readonly RaftNode _node;
    private readonly EngineSlot _slot;
    private readonly ulong _self;
    private readonly TimeSpan _requestTimeout;
    private readonly TimeSpan _electionTimeout;
    private readonly CancellationTokenSource _stop = new();
    /// <summary>Batches appended (or forwarded) at once, each waiting for its commit.</summary>
    private const int MaxInflightBatches = 4;

    private readonly Task _leaseLoop;
    private readonly Task _proposeLoop;
    private readonly Channel<InternalRequest> _proposals = Channel.CreateUnbounded<InternalRequest>(new UnboundedChannelOptions { SingleReader = true });
    private readonly object _readLock = new();
    private readonly HashSet<long> _revoking = [];
    private TaskCompletionSource? _nextRead;
    private bool _reading;
    private long _nextId;

    public RaftConsensus(RaftNode node, EngineSlot slot, ulong self)
    {
        _node = node;
        _slot = slot;
        _self = self;
        _electionTimeout = TimeSpan.FromMilliseconds(node.Config.ElectionTimeoutMs);
        // etcd's request timeout: 5 s plus two election timeouts.
        _requestTimeout = TimeSpan.FromSeconds(5) + (2 * _electionTimeout);
        _nextId = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16;
        slot.Current.Lessor.Demote();
        node.LeaderChanged += OnLeaderChanged;
        // An engine installed from a snapshot starts with its leases demoted, like any follower's.
        slot.Replaced += engine =>
        {
            engine.Lessor.Demote();
            if (_node.IsLeader)
            {
                engine.Lessor.Promote(_electionTimeout);
            }
        };
        _leaseLoop = Task.Run(() => ExpireLeasesAsync(_stop.Token));
        _proposeLoop = Task.Run(() => ProposeLoopAsync(_stop.Token));
    }

    public ConsensusStatus Status => new(_node.LeaderId, _node.Term, _node.Log.LastCommittedEntryIndex, _node.Log.LastAppliedIndex);

    public async ValueTask<M.PutResponse> PutAsync(Api.PutRequest request, CancellationToken ct) =>
        (M.PutResponse)await ProposeAsync(new InternalRequest { Put = request }, ct).ConfigureAwait(false);

    public async ValueTask<M.DeleteRangeResponse> DeleteRangeAsync(Api.DeleteRangeRequest request, CancellationToken ct) =>
        (M.DeleteRangeResponse)await ProposeAsync(new InternalRequest { DeleteRange = request }, ct).ConfigureAwait(false);

    public async ValueTask<M.TxnResponse> TxnAsync(Api.TxnRequest request, CancellationToken ct)
    {
        if (!Writes(request))
        {
            await ReadBarrierAsync(ct).ConfigureAwait(false);
            return await _slot.Current.TxnAsync(request.ToEngine(), 0, ct).ConfigureAwait(false);
        }

        return (M.TxnResponse)await ProposeAsync(new InternalRequest { Txn = request }, ct).ConfigureAwait(false);
    }

    public async ValueTask<M.CompactResponse> CompactAsync(Api.CompactionRequest request, CancellationToken ct) =>
        (M.CompactResponse)await ProposeAsync(new InternalRequest { Compaction = request }, ct).ConfigureAwait(false);

    public async ValueTask<LeaseGrant> LeaseGrantAsync(Api.LeaseGrantRequest request, CancellationToken ct)
    {
        if (request.TTL > Lessor.MaxTtl)
        {
            throw KvException.LeaseTtlTooLarge();
        }

        // Every member must grant the same id: the proposer picks it.
        var grant = request.Clone();
        while (grant.ID == 0 || (request.ID == 0 && _slot.Current.Lessor.Exists(grant.ID)))
        {
            grant.ID = Random.Shared.NextInt64(1, long.MaxValue);
        }

        return (LeaseGrant)await ProposeAsync(new InternalRequest { LeaseGrant = grant }, ct).ConfigureAwait(false);
    }

    public async ValueTask<long> LeaseRevokeAsync(long id, CancellationToken ct) =>
        (long)await ProposeAsync(new InternalRequest { LeaseRevoke = new Api.LeaseRevokeRequest { ID = id } }, ct).ConfigureAwait(false);

    public async ValueTask<long> LeaseKeepAliveAsync(long id, CancellationToken ct)
    {
        var leader = await LeaderAsync(ct).ConfigureAwait(false);
        if (!leader.IsRemote)
        {
            return _slot.Current.LeaseKeepAlive(id);
        }

        var peer = await _node.PeerAsync(leader, ct).ConfigureAwait(false);
        var r = await peer.LeaseRenewAsync(new Api.LeaseKeepAliveRequest { ID = id }, deadline: Deadline(), cancellationToken: ct).ConfigureAwait(false);
        return r.TTL;
    }

    public async ValueTask<LeaseStatus> LeaseTimeToLiveAsync(long id, bool keys, CancellationToken ct)
    {
        var leader = await LeaderAsync(ct).ConfigureAwait(false);
        if (!leader.IsRemote)
        {
            return _slot.Current.LeaseTimeToLive(id, keys);
        }

        var peer = await _node.PeerAsync(leader, ct).ConfigureAwait(false);
        var r = await peer.LeaseTimeToLiveAsync(new Api.LeaseTimeToLiveRequest { ID = id, Keys = keys }, deadline: Deadline(), cancellationToken: ct).ConfigureAwait(false);
        return r.TTL < 0 ? throw KvException.LeaseNotFound() : new LeaseStatus(id, r.TTL, r.GrantedTTL, [.. r.Keys.Select(k => k.ToByteArray())]);
    }

    /// <summary>One read barrier at a time; every read arriving meanwhile shares the next one.</summary>
    public async ValueTask ReadBarrierAsync(CancellationToken ct)
    {
        Task barrier;
        bool start = false;
        lock (_readLock)
        {
            _nextRead ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            barrier = _nextRead.Task;
            if (!_reading)
            {
                _reading = true;
                start = true;
            }
        }

        if (start)
        {
            _ = Task.Run(ReadLoopAsync, CancellationToken.None);
        }

        await barrier.WaitAsync(ct).ConfigureAwait(false);
    }

    private async Task ReadLoopAsync()
    {
        while (true)
        {
            TaskCompletionSource round;
            lock (_readLock)
            {
                if (_nextRead is null)
                {
                    _reading = false;
                    return;
                }

                round = _nextRead;
                _nextRead = null;
            }

            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                timeout.CancelAfter(_requestTimeout);
                await WithErrorsAsync(async t =>
                {
                    await _node.Cluster.ApplyReadBarrierAsync(t).ConfigureAwait(false);
                    await _node.StateMachine.LastApplied.WaitAsync(t).ConfigureAwait(false);
                }, timeout.Token).ConfigureAwait(false);
                round.TrySetResult();
            }
            catch (Exception e)
            {
                round.TrySetException(e);
            }
        }
    }

    /// <summary>Proposes <paramref name="request"/> and returns the engine's response from this member's own apply.</summary>
    internal async Task<object> ProposeAsync(InternalRequest request, CancellationToken ct)
    {
        request.Origin = _self;
        request.Id = (ulong)Interlocked.Increment(ref _nextId);
        var applied = _node.StateMachine.Expect(request.Id);
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
            timeout.CancelAfter(_requestTimeout);
            _proposals.Writer.TryWrite(request);
            object result = await WithErrorsAsync(async t =>
            {
                var outcome = await applied.WaitAsync(t).ConfigureAwait(false);
                return await outcome.ConfigureAwait(false);
            }, timeout.Token).ConfigureAwait(false);
            if (result is Exception refused)
            {
                ExceptionDispatchInfo.Throw(refused);
            }

            return result;
        }
        finally
        {
            _node.StateMachine.Forget(request.Id);
        }
    }

    /// <summary>
    /// Group commit: every request queued while earlier batches are in flight goes into the next log
    /// entry (up to <see cref="KvStateMachine.MaxBatch"/>), with a few batches in flight at once.
    /// </summary>
    private async Task ProposeLoopAsync(CancellationToken ct)
    {
        var reader = _proposals.Reader;
        using var inflight = new SemaphoreSlim(MaxInflightBatches);
        var running = new List<Task>();
        while (await reader.WaitToReadAsync(ct).ConfigureAwait(false))
        {
            await inflight.WaitAsync(ct).ConfigureAwait(false);
            var batch = new InternalBatch();
            while (batch.Requests.Count < KvStateMachine.MaxBatch && reader.TryRead(out var r))
            {
                batch.Requests.Add(r);
            }

            if (batch.Requests.Count == 0)
            {
                inflight.Release();
                continue;
            }

            running.RemoveAll(t => t.IsCompleted);
            running.Add(SubmitBatchAsync(batch, inflight));
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task SubmitBatchAsync(InternalBatch batch, SemaphoreSlim inflight)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_requestTimeout);
            await WithErrorsAsync(t => SubmitAsync(batch, t), timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            foreach (var r in batch.Requests)
            {
                _node.StateMachine.Fail(r.Id, e);
            }
        }
        finally
        {
            inflight.Release();
        }
    }

    /// <summary>Appends on the leader (here, or through its Peer service); retried while leadership moves.</summary>
    private async Task SubmitAsync(InternalBatch batch, CancellationToken ct)
    {
        while (true)
        {
            var leader = await LeaderAsync(ct).ConfigureAwait(false);
            if (!leader.IsRemote)
            {
                try
                {
                    await AppendAsync(batch, ct).ConfigureAwait(false);
                    return;
                }
                catch (NotLeaderException)
                {
                    await Task.Delay(10, ct).ConfigureAwait(false);
                    continue;
                }
            }

            try
            {
                var peer = await _node.PeerAsync(leader, ct).ConfigureAwait(false);
                await peer.ProposeAsync(batch, cancellationToken: ct).ConfigureAwait(false);
                return;
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.FailedPrecondition && e.Status.Detail == PeerService.NotLeader)
            {
                // Sent to a member that is no longer the leader: nothing was appended.
                await Task.Delay(10, ct).ConfigureAwait(false);
            }
            catch (IOException)
            {
                // The leader's URLs are unknown (it cannot be reached): wait for it or a new leader.
                await Task.Delay(50, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Appends on this member, the leader, under the term it leads (<see cref="RaftNode.LeaderTerm"/>); returns once committed and applied here.</summary>
    internal async Task AppendAsync(InternalBatch batch, CancellationToken ct)
    {
        byte[] payload = batch.ToByteArray();
        long term = _node.LeaderTerm;
        if (!_node.IsLeader || term != _node.Cluster.Term)
        {
            // Leadership moved (or a higher term is known and this member is about to step down).
            throw new NotLeaderException();
        }

        try
        {
            await _node.Cluster.ReplicateAsync(new BinaryLogEntry { Content = payload, Term = term }, ct).ConfigureAwait(false);
        }
        catch (NotLeaderException)
        {
            // Leadership was lost after the entry may have been appended: the next leader may still
            // commit it, so the batch must not be proposed again (it would be applied twice). Its
            // clients get etcd's answer for an outcome not known.
            throw LeaderChanged();
        }
    }

    private async ValueTask<IRaftClusterMember> LeaderAsync(CancellationToken ct)
    {
        if (_node.Cluster.Leader is { } leader)
        {
            return leader;
        }

        try
        {
            return await _node.Cluster.WaitForLeaderAsync(_electionTimeout * 3, ct).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            throw NoLeader();
        }
    }

    /// <summary>Runs <paramref name="body"/>, turning a timeout and Raft's failures into etcd's errors.</summary>
    private async Task<T> WithErrorsAsync<T>(Func<CancellationToken, Task<T>> body, CancellationToken t)
    {
        try
        {
            return await body(t).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (t.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            // The caller's own cancellation is reported by the gRPC layer; ours is a timeout.
            throw _node.Cluster.Leader is null ? NoLeader() : new RpcException(new Status(StatusCode.Unavailable, "etcdserver: request timed out"));
        }
        catch (Exception e) when (e is QuorumUnreachableException or NotLeaderException)
        {
            throw NoLeader();
        }
    }

    private Task WithErrorsAsync(Func<CancellationToken, Task> body, CancellationToken t) =>
        WithErrorsAsync<bool>(async c => { await body(c).ConfigureAwait(false); return true; }, t);

    private static bool Writes(Api.TxnRequest txn) => txn.Success.Concat(txn.Failure).Any(op => op.RequestCase switch
    {
        Api.RequestOp.RequestOneofCase.RequestPut or Api.RequestOp.RequestOneofCase.RequestDeleteRange => true,
        Api.RequestOp.RequestOneofCase.RequestTxn => Writes(op.RequestTxn),
        _ => false,
    });

    private static RpcException NoLeader() => new(new Status(StatusCode.Unavailable, "etcdserver: no leader"));

    private static RpcException LeaderChanged() => new(new Status(StatusCode.Unavailable, "etcdserver: leader changed"));

    private DateTime Deadline() => DateTime.UtcNow + _requestTimeout;

    private void OnLeaderChanged(DotNext.Net.Cluster.IClusterMember? leader)
    {
        if (leader is { IsRemote: false })
        {
            // etcd's lessor promotion: every lease gets its full TTL again plus an election's grace,
            // so no lease expires because its keep-alives were lost in the election.
            _slot.Current.Lessor.Promote(_electionTimeout);
        }
        else
        {
            _slot.Current.Lessor.Demote();
            if (leader is IRaftClusterMember { IsRemote: true } remote)
            {
                _ = Task.Run(() => WarmForwardingAsync(remote)); // Not under DotNext's transition lock, which raises this event.
            }
        }
    }

    /// <summary>
    /// A follower forwards every write to the leader over gRPC (<see cref="PeerService"/>). The first
    /// forwarded write used to pay for the whole path at once: the leader's metadata, a new channel
    /// and HTTP/2 connection, and the first run of the gRPC call code on both members. Measured on a
    /// fresh 3-member cluster, puts through a follower had a 930-970 ms first second against 330-380
    /// ms through the leader. So, as soon as a leader is known, a follower opens that path with one
    /// cheap call (the leader's member list). Failures do not matter: the first write retries anyway.
    /// </summary>
    private async Task WarmForwardingAsync(IRaftClusterMember leader)
    {
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(_requestTimeout);
            var peer = await _node.PeerAsync(leader, timeout.Token).ConfigureAwait(false);
            await peer.MemberListAsync(new Api.MemberListRequest(), cancellationToken: timeout.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is RpcException or IOException or OperationCanceledException or ObjectDisposedException)
        {
        }
    }

    /// <summary>The leader proposes the revocation of each expired lease.</summary>
    private async Task ExpireLeasesAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(500));
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            if (!_node.IsLeader)
            {
                continue;
            }

            foreach (long id in _slot.Current.Lessor.Expired())
            {
                lock (_revoking)
                {
                    if (!_revoking.Add(id))
                    {
                        continue;
                    }
                }

                _ = RevokeExpiredAsync(id, ct);
            }
        }
    }

    private async Task RevokeExpiredAsync(long id, CancellationToken ct)
    {
        try
        {
            await LeaseRevokeAsync(id, ct).ConfigureAwait(false);
        }
        catch (Exception e) when (e is KvException or RpcException or OperationCanceledException)
        {
            // Revoked meanwhile, or leadership moved: the next leader decides.
        }
        finally
        {
            lock (_revoking)
            {
                _revoking.Remove(id);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        foreach (var loop in new[] { _leaseLoop, _proposeLoop })
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
            }
        }

        _stop.Dispose();
    }
}
