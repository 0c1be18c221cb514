using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Hosting;
using KvCluster.KvServer.Raft.Wire;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// What followers ask of the leader: append an entry, renew a lease, tell a lease's remaining TTL.
/// A member that is not the leader answers <see cref="NotLeader"/>, and the follower retries with
/// the new leader.
/// </summary>
public sealed class PeerService(RaftNode node, RaftConsensus consensus, RaftMembership members, IKv kv, LocalMember member, IHostApplicationLifetime lifetime, ILogger<PeerService> logger) : Peer.PeerBase
{
    public const string NotLeader = "kvcluster: not the leader";

    public override async Task<ProposeResponse> Propose(InternalBatch request, ServerCallContext context)
    {
        RequireLeader();
        try
        {
            await consensus.AppendAsync(request, context.CancellationToken);
        }
        catch (DotNext.Net.Cluster.Consensus.Raft.NotLeaderException)
        {
            // Not the leader any more, before appending: the follower retries with the new leader.
            // (Lost after appending, it answers "etcdserver: leader changed", which is not retried.)
            throw new RpcException(new Status(StatusCode.FailedPrecondition, NotLeader));
        }

        return new ProposeResponse { Index = (ulong)node.Log.LastAppliedIndex };
    }

    public override async Task<Api.LeaseKeepAliveResponse> LeaseRenew(Api.LeaseKeepAliveRequest request, ServerCallContext context)
    {
        RequireLeader();
        long ttl;
        try
        {
            ttl = await consensus.LeaseKeepAliveAsync(request.ID, context.CancellationToken);
        }
        catch (KvException e) when (e.Code == KvErrorCode.LeaseNotFound)
        {
            ttl = 0;
        }

        return new Api.LeaseKeepAliveResponse { Header = member.Header(kv.Revision), ID = request.ID, TTL = ttl };
    }

    public override async Task<Api.LeaseTimeToLiveResponse> LeaseTimeToLive(Api.LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        RequireLeader();
        var response = new Api.LeaseTimeToLiveResponse { Header = member.Header(kv.Revision), ID = request.ID };
        try
        {
            var s = await consensus.LeaseTimeToLiveAsync(request.ID, request.Keys, context.CancellationToken);
            response.TTL = s.Ttl;
            response.GrantedTTL = s.GrantedTtl;
            response.Keys.AddRange(s.Keys.Select(Google.Protobuf.ByteString.CopyFrom));
        }
        catch (KvException e) when (e.Code == KvErrorCode.LeaseNotFound)
        {
            response.TTL = -1;
        }

        return response;
    }

    public override async Task<Api.MemberAddResponse> MemberAdd(Api.MemberAddRequest request, ServerCallContext context)
    {
        RequireLeader();
        return await members.AddAsync(request, context.CancellationToken);
    }

    public override async Task<Api.MemberListResponse> MemberList(Api.MemberListRequest request, ServerCallContext context)
    {
        RequireLeader();
        var response = new Api.MemberListResponse();
        response.Members.AddRange(await members.LocalListAsync(context.CancellationToken));
        return response;
    }

    public override async Task<Api.MemberRemoveResponse> MemberRemove(Api.MemberRemoveRequest request, ServerCallContext context)
    {
        RequireLeader();
        return await members.RemoveAsync(request, context.CancellationToken);
    }

    /// <summary>This member was removed: it stops serving, as etcd's removed member does ("the member has been permanently removed from the cluster").</summary>
    public override Task<RemovedNotice> Removed(RemovedNotice request, ServerCallContext context)
    {
        if (request.MemberId != member.Id)
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"kvcluster: this is member {member.Id:x}, not {request.MemberId:x}"));
        }

        RaftLog.Removed(logger, member.Id.ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        _ = Task.Delay(200).ContinueWith(_ => lifetime.StopApplication(), TaskScheduler.Default);
        return Task.FromResult(request);
    }

    private void RequireLeader()
    {
        if (!node.IsLeader)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, NotLeader));
        }
    }
}
