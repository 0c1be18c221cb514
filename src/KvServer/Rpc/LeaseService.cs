using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Auth;
using KvCluster.KvServer.Consensus;
using KvCluster.KvServer.Hosting;
using KvCluster.KvServer.Maintenance;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's Lease service. Keep-alives are a stream: each request renews one lease and is answered in order.</summary>
public sealed class LeaseService(ILeases leases, IConsensus consensus, IKv kv, LocalMember member, AuthStore auth, Quota quota) : Lease.LeaseBase
{
    private static readonly Comparer<byte[]> KeyOrder = Comparer<byte[]>.Create(static (a, b) => a.AsSpan().SequenceCompareTo(b));

    public override async Task<LeaseGrantResponse> LeaseGrant(LeaseGrantRequest request, ServerCallContext context)
    {
        auth.UserOf(context);
        quota.CheckWrite(request.CalculateSize());
        var g = await consensus.LeaseGrantAsync(request, context.CancellationToken);
        return new LeaseGrantResponse { Header = member.Header(g.Revision), ID = g.Id, TTL = g.Ttl };
    }

    public override async Task<LeaseRevokeResponse> LeaseRevoke(LeaseRevokeRequest request, ServerCallContext context)
    {
        CheckRevoke(auth.UserOf(context), request.ID);
        long rev = await consensus.LeaseRevokeAsync(request.ID, context.CancellationToken);
        return new LeaseRevokeResponse { Header = member.Header(rev) };
    }

    public override async Task LeaseKeepAlive(IAsyncStreamReader<LeaseKeepAliveRequest> requestStream, IServerStreamWriter<LeaseKeepAliveResponse> responseStream, ServerCallContext context)
    {
        auth.UserOf(context);
        await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
        {
            long ttl;
            try
            {
                ttl = await consensus.LeaseKeepAliveAsync(request.ID, context.CancellationToken);
            }
            catch (KvException e) when (e.Code == KvErrorCode.LeaseNotFound)
            {
                // etcd answers a keep-alive for an unknown or expired lease with TTL 0, not an error.
                ttl = 0;
            }

            await responseStream.WriteAsync(new LeaseKeepAliveResponse { Header = member.Header(kv.Revision), ID = request.ID, TTL = ttl });
        }
    }

    public override async Task<LeaseTimeToLiveResponse> LeaseTimeToLive(LeaseTimeToLiveRequest request, ServerCallContext context)
    {
        auth.UserOf(context);
        var response = new LeaseTimeToLiveResponse { Header = member.Header(kv.Revision), ID = request.ID };
        try
        {
            var s = await consensus.LeaseTimeToLiveAsync(request.ID, request.Keys, context.CancellationToken);
            response.TTL = s.Ttl;
            response.GrantedTTL = s.GrantedTtl;
            foreach (var key in s.Keys.Order(KeyOrder))
            {
                response.Keys.Add(Google.Protobuf.ByteString.CopyFrom(key));
            }
        }
        catch (KvException e) when (e.Code == KvErrorCode.LeaseNotFound)
        {
            // etcd reports an unknown lease as TTL -1 ("lease … already expired").
            response.TTL = -1;
        }

        return response;
    }

    public override Task<LeaseLeasesResponse> LeaseLeases(LeaseLeasesRequest request, ServerCallContext context)
    {
        auth.UserOf(context);
        var response = new LeaseLeasesResponse { Header = member.Header(kv.Revision) };
        foreach (var id in leases.Leases().Order())
        {
            response.Leases.Add(new LeaseStatus { ID = id });
        }

        return Task.FromResult(response);
    }

    /// <summary>Revoking deletes the lease's keys, so the caller needs write permission on each of them (as in etcd).</summary>
    private void CheckRevoke(string? user, long id)
    {
        if (!auth.Enabled)
        {
            return;
        }

        try
        {
            foreach (var key in leases.LeaseTimeToLive(id, keys: true).Keys)
            {
                auth.CheckPut(user, key);
            }
        }
        catch (KvException e) when (e.Code == KvErrorCode.LeaseNotFound)
        {
            // The revoke itself reports the missing lease.
        }
    }
}
