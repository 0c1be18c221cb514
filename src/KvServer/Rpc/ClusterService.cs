using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Consensus;
using KvCluster.KvServer.Hosting;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's Cluster service. Membership changes are not implemented yet and answer Unimplemented.</summary>
public sealed class ClusterService(IKv kv, LocalMember member, IMembership members) : Cluster.ClusterBase
{
    public override async Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context)
    {
        var response = new MemberListResponse { Header = member.Header(kv.Revision) };
        response.Members.AddRange(await members.ListAsync(context.CancellationToken));
        return response;
    }

    public override Task<MemberAddResponse> MemberAdd(MemberAddRequest request, ServerCallContext context) =>
        throw RpcErrors.Unimplemented("MemberAdd");

    public override async Task<MemberRemoveResponse> MemberRemove(MemberRemoveRequest request, ServerCallContext context) =>
        throw (await IsMemberAsync(request.ID, context) ? RpcErrors.Unimplemented("MemberRemove") : RpcErrors.MemberNotFound());

    public override async Task<MemberUpdateResponse> MemberUpdate(MemberUpdateRequest request, ServerCallContext context) =>
        throw (await IsMemberAsync(request.ID, context) ? RpcErrors.Unimplemented("MemberUpdate") : RpcErrors.MemberNotFound());

    private async Task<bool> IsMemberAsync(ulong id, ServerCallContext context) =>
        (await members.ListAsync(context.CancellationToken)).Any(m => m.ID == id);

    public override Task<MemberPromoteResponse> MemberPromote(MemberPromoteRequest request, ServerCallContext context) =>
        throw (request.ID == member.Id
            ? new RpcException(new Status(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member"))
            : RpcErrors.MemberNotFound());
}
