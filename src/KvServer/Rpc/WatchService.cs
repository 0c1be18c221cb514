using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Auth;
using KvCluster.KvServer.Hosting;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's Watch service: one <see cref="WatchStream"/> per gRPC stream, holding many watches.</summary>
public sealed class WatchService(IWatchableKv kv, LocalMember member, AuthStore auth, Limits limits) : Watch.WatchBase
{
    public override async Task Watch(IAsyncStreamReader<WatchRequest> requestStream, IServerStreamWriter<WatchResponse> responseStream, ServerCallContext context)
    {
        var user = auth.UserOf(context);
        await using var stream = new WatchStream(kv, member, auth, user, limits.MaxRequestBytes, responseStream, context.CancellationToken);
        await stream.RunAsync(requestStream);
    }
}
