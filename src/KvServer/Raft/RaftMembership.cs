using KvCluster.KvServer.Consensus;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// Members from the Raft configuration; names and client URLs as each member announces them. A
/// member that cannot be reached is listed with its peer URL and no name, as etcd lists an
/// unstarted member.
/// </summary>
public sealed class RaftMembership(RaftNode node) : IMembership
{
    public async ValueTask<IReadOnlyList<Api.Member>> ListAsync(CancellationToken ct)
    {
        var list = new List<Api.Member>();
        foreach (var m in node.Cluster.Members)
        {
            var member = new Api.Member { ID = node.IdOf(m.EndPoint) };
            var md = await node.MetadataAsync(m, ct).ConfigureAwait(false);
            if (md is not null)
            {
                member.Name = md.GetValueOrDefault("name", "");
                member.PeerURLs.AddRange(md.GetValueOrDefault("peer-urls", "").Split(',', StringSplitOptions.RemoveEmptyEntries));
                member.ClientURLs.AddRange(md.GetValueOrDefault("client-urls", "").Split(',', StringSplitOptions.RemoveEmptyEntries));
            }
            else
            {
                member.PeerURLs.Add($"http://{m.EndPoint}");
            }

            list.Add(member);
        }

        return [.. list.OrderBy(m => m.ID)];
    }
}
