using DotNext.Net.Cluster.Consensus.Raft;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// DotNext's RaftCluster with its local resignation made callable. <c>ICluster.ResignAsync</c> asks whichever
/// member leads at the time of the call to resign, so a member that checked it led, then lost the lead before
/// calling, would depose the new leader; <see cref="ResignIfLeaderAsync"/> only ever steps this member down.
/// </summary>
internal sealed class LocalRaftCluster(RaftCluster.NodeConfiguration configuration) : RaftCluster(configuration)
{
    /// <summary>Steps down if this member leads now; false (and nothing happens) otherwise.</summary>
    public ValueTask<bool> ResignIfLeaderAsync(CancellationToken ct) => ResignAsync(ct);
}
