using KvCluster.KvServer.Hosting;

namespace KvCluster.KvServer.Consensus;

/// <summary>The members of the cluster as etcd's Cluster service shows them.</summary>
public interface IMembership
{
    ValueTask<IReadOnlyList<Api.Member>> ListAsync(CancellationToken ct);
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
}
