using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Hosting;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's Cluster service for a single member. Membership changes need Raft and answer Unimplemented until then.</summary>
public sealed class ClusterService(IKv kv, LocalMember member) : Cluster.ClusterBase
{
    public override Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context)
    {
        var response = new MemberListResponse { Header = member.Header(kv.Revision) };
        var self = new Api.Member { ID = member.Id, Name = member.Name };
        self.PeerURLs.AddRange(member.PeerUrls);
        self.ClientURLs.AddRange(member.ClientUrls);
        response.Members.Add(self);
        return Task.FromResult(response);
    }

    public override Task<MemberAddResponse> MemberAdd(MemberAddRequest request, ServerCallContext context) =>
        throw RpcErrors.Unimplemented("MemberAdd");

    public override Task<MemberRemoveResponse> MemberRemove(MemberRemoveRequest request, ServerCallContext context) =>
        throw (request.ID == member.Id ? RpcErrors.Unimplemented("MemberRemove") : RpcErrors.MemberNotFound());

    public override Task<MemberUpdateResponse> MemberUpdate(MemberUpdateRequest request, ServerCallContext context) =>
        throw (request.ID == member.Id ? RpcErrors.Unimplemented("MemberUpdate") : RpcErrors.MemberNotFound());

    public override Task<MemberPromoteResponse> MemberPromote(MemberPromoteRequest request, ServerCallContext context) =>
        throw (request.ID == member.Id
            ? new RpcException(new Status(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member"))
            : RpcErrors.MemberNotFound());
}
