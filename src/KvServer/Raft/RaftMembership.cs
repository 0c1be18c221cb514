using System.Collections.Concurrent;
using System.Net;
using Grpc.Core;
using KvCluster.KvServer.Consensus;
using KvCluster.KvServer.Rpc;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// Members from the Raft configuration; names and client URLs as each member announces them. A
/// member that cannot be reached is listed with its peer URL and no name, as etcd lists an
/// unstarted member. Adding and removing members is the leader's job (followers pass the request
/// on). etcd commits an added member at once and the new member starts afterwards; DotNext first
/// catches the new member up, so the leader keeps it as pending (listed, unstarted) and keeps
/// trying to add it until it runs.
/// </summary>
public sealed class RaftMembership(RaftNode node, ILogger<RaftMembership> logger) : IMembership
{
    /// <summary>How long the leader keeps trying to add a member that does not start.</summary>
    private static readonly TimeSpan PendingFor = TimeSpan.FromMinutes(10);

    private readonly ConcurrentDictionary<EndPoint, (ulong Id, string Url)> _pending = new();

    /// <summary>The leader's view (it knows the members being added); this member's own when the leader cannot answer.</summary>
    public async ValueTask<IReadOnlyList<Api.Member>> ListAsync(CancellationToken ct)
    {
        if (node.Cluster.Leader is { IsRemote: true } leader)
        {
            try
            {
                var peer = await node.PeerAsync(leader, ct).ConfigureAwait(false);
                var r = await peer.MemberListAsync(new Api.MemberListRequest(), deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: ct).ConfigureAwait(false);
                return [.. r.Members];
            }
            catch (Exception e) when (e is RpcException or IOException)
            {
                // Fall back to what this member knows.
            }
        }

        return await LocalListAsync(ct).ConfigureAwait(false);
    }

    internal async ValueTask<IReadOnlyList<Api.Member>> LocalListAsync(CancellationToken ct)
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

        foreach (var (ep, p) in _pending)
        {
            if (!list.Any(m => m.ID == p.Id))
            {
                list.Add(new Api.Member { ID = p.Id, PeerURLs = { p.Url } });
            }
        }

        return [.. list.OrderBy(m => m.ID)];
    }

    public async ValueTask<Api.MemberAddResponse> AddAsync(Api.MemberAddRequest request, CancellationToken ct)
    {
        if (!node.IsLeader)
        {
            return await (await LeaderPeerAsync(ct)).MemberAddAsync(request, cancellationToken: ct);
        }

        if (request.IsLearner)
        {
            throw RpcErrors.Unimplemented("adding a learner member");
        }

        if (request.PeerURLs.Count == 0 || !Uri.TryCreate(request.PeerURLs[0], UriKind.Absolute, out var url) || url.Scheme != "http")
        {
            throw new RpcException(new Status(StatusCode.InvalidArgument, "etcdserver: member add needs one http:// peer URL"));
        }

        var ep = RaftNode.EndPointOf(url);
        var members = await LocalListAsync(ct).ConfigureAwait(false);
        if (node.Cluster.Members.Any(m => m.EndPoint.Equals(ep)) || _pending.ContainsKey(ep))
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition, "etcdserver: Peer URLs already exists"));
        }

        ulong id = node.IdOf(ep);
        string peerUrl = url.GetLeftPart(UriPartial.Authority);
        _pending[ep] = (id, peerUrl);
        _ = Task.Run(() => AddWhenStartedAsync(ep), CancellationToken.None);
        var added = new Api.Member { ID = id, PeerURLs = { peerUrl } };
        var response = new Api.MemberAddResponse { Member = added };
        response.Members.AddRange(members);
        response.Members.Add(added);
        return response;
    }

    public async ValueTask<Api.MemberRemoveResponse> RemoveAsync(Api.MemberRemoveRequest request, CancellationToken ct)
    {
        if (!node.IsLeader)
        {
            return await (await LeaderPeerAsync(ct)).MemberRemoveAsync(request, cancellationToken: ct);
        }

        var pending = _pending.FirstOrDefault(p => p.Value.Id == request.ID);
        if (pending.Key is not null)
        {
            _pending.TryRemove(pending.Key, out _);
        }
        else
        {
            var member = node.Cluster.Members.FirstOrDefault(m => node.IdOf(m.EndPoint) == request.ID) ?? throw RpcErrors.MemberNotFound();
            Wire.Peer.PeerClient? removed = null;
            try
            {
                removed = member.IsRemote ? await node.PeerAsync(member, ct).ConfigureAwait(false) : null;
            }
            catch (IOException)
            {
                // Not reachable now: it cannot be told.
            }

            if (!await node.Cluster.RemoveMemberAsync(member.EndPoint, ct).ConfigureAwait(false))
            {
                throw RpcErrors.MemberNotFound();
            }

            if (removed is not null)
            {
                _ = TellRemovedAsync(removed, request.ID);
            }
        }

        var response = new Api.MemberRemoveResponse();
        response.Members.AddRange(await LocalListAsync(ct).ConfigureAwait(false));
        return response;
    }

    /// <summary>Tells a removed member so that it stops (best effort: one that cannot be reached is not told).</summary>
    private async Task TellRemovedAsync(Wire.Peer.PeerClient peer, ulong id)
    {
        try
        {
            await peer.RemovedAsync(new Wire.RemovedNotice { MemberId = id }, deadline: DateTime.UtcNow.AddSeconds(5)).ConfigureAwait(false);
        }
        catch (RpcException e)
        {
            RaftLog.RemovedNotTold(logger, $"{id:x}", e.Status.Detail);
        }
    }

    /// <summary>Catches the new member up and commits it, retrying until it runs (or leadership moves).</summary>
    private async Task AddWhenStartedAsync(EndPoint ep)
    {
        var deadline = DateTime.UtcNow + PendingFor;
        while (_pending.ContainsKey(ep) && DateTime.UtcNow < deadline && node.IsLeader)
        {
            try
            {
                using var attempt = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                if (await node.Cluster.AddMemberAsync(ep, attempt.Token).ConfigureAwait(false))
                {
                    RaftLog.MemberAdded(logger, ep.ToString()!);
                    break;
                }
            }
            catch (Exception e) when (e is not ObjectDisposedException)
            {
                RaftLog.MemberAddRetry(logger, ep.ToString()!, e.Message);
            }

            await Task.Delay(500).ConfigureAwait(false);
        }

        _pending.TryRemove(ep, out _);
    }

    private async Task<Wire.Peer.PeerClient> LeaderPeerAsync(CancellationToken ct)
    {
        var leader = node.Cluster.Leader ?? throw new RpcException(new Status(StatusCode.Unavailable, "etcdserver: no leader"));
        return await node.PeerAsync(leader, ct).ConfigureAwait(false);
    }
}
