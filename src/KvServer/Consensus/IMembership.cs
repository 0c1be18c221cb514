using KvCluster.KvServer.Hosting;

namespace KvCluster.KvServer.Consensus;

/// <summary>The members of the cluster as etcd's Cluster service shows them.</summary>
public interface IMembership
{
    ValueTask<IReadOnlyList<Api.Member>> ListAsync(CancellationToken ct);

    /// <summary>etcdctl member add: the new member (unstarted until it runs with --initial-cluster-state existing) and every member.</summary>
    ValueTask<Api.MemberAddResponse> AddAsync(Api.MemberAddRequest request, CancellationToken ct);

    /// <summary>etcdctl member remove: the members left.</summary>
    ValueTask<Api.MemberRemoveResponse> RemoveAsync(Api.MemberRemoveRequest request, CancellationToken ct);
}

/// <summary>A cluster of one: this member.</summary>
public sealed class StandaloneMembership(LocalMember member) : IMembership
{
    public ValueTask<IReadOnlyList<Api.Member>> ListAsync(CancellationToken ct)
    {
        var self = new Api.Member { ID = member.Id, Name = member.Name };
        self.PeerURLs.AddRange(member.PeerUrls);
        self.ClientURLs.AddRange(member.ClientUrls);
        return ValueTask.FromResult<IReadOnlyList<Api.Member>>([self]);
    }

    /// <summary>A member started alone does not replicate: adding one means starting the cluster with --initial-cluster.</summary>
    public ValueTask<Api.MemberAddResponse> AddAsync(Api.MemberAddRequest request, CancellationToken ct) =>
        throw new Grpc.Core.RpcException(new Grpc.Core.Status(Grpc.Core.StatusCode.Unimplemented,
            "etcdserver: MemberAdd is not supported by a member started alone: start every member with --initial-cluster listing them all"));

    public ValueTask<Api.MemberRemoveResponse> RemoveAsync(Api.MemberRemoveRequest request, CancellationToken ct) =>
        throw (request.ID == member.Id ? Rpc.RpcErrors.Unimplemented("MemberRemove") : Rpc.RpcErrors.MemberNotFound());
}
