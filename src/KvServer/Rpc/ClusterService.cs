using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Auth;
using KvCluster.KvServer.Consensus;
using KvCluster.KvServer.Hosting;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's Cluster service: list, add and remove members. Updating peer URLs and learners answer Unimplemented.</summary>
public sealed class ClusterService(IKv kv, LocalMember member, IMembership members, AuthStore auth) : Cluster.ClusterBase
{
    public override async Task<MemberListResponse> MemberList(MemberListRequest request, ServerCallContext context)
    {
        var response = new MemberListResponse { Header = member.Header(kv.Revision) };
        response.Members.AddRange(await members.ListAsync(context.CancellationToken));
        return response;
    }

    public override async Task<MemberAddResponse> MemberAdd(MemberAddRequest request, ServerCallContext context)
    {
        auth.CheckAdmin(auth.UserOf(context));
        var response = await members.AddAsync(request, context.CancellationToken);
        response.Header = member.Header(kv.Revision);
        return response;
    }

    public override async Task<MemberRemoveResponse> MemberRemove(MemberRemoveRequest request, ServerCallContext context)
    {
        auth.CheckAdmin(auth.UserOf(context));
        var response = await members.RemoveAsync(request, context.CancellationToken);
        response.Header = member.Header(kv.Revision);
        return response;
    }

    public override async Task<MemberUpdateResponse> MemberUpdate(MemberUpdateRequest request, ServerCallContext context) =>
        throw (await IsMemberAsync(request.ID, context) ? RpcErrors.Unimplemented("MemberUpdate") : RpcErrors.MemberNotFound());

    private async Task<bool> IsMemberAsync(ulong id, ServerCallContext context) =>
        (await members.ListAsync(context.CancellationToken)).Any(m => m.ID == id);

    public override Task<MemberPromoteResponse> MemberPromote(MemberPromoteRequest request, ServerCallContext context) =>
        throw (request.ID == member.Id
            ? new RpcException(new Status(StatusCode.FailedPrecondition, "etcdserver: can only promote a learner member"))
            : RpcErrors.MemberNotFound());
}
