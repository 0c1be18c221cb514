using Grpc.Core;

namespace KvCluster.KvServer.Auth;

/// <summary>Resolves the user of a gRPC call from its token metadata, as etcd reads it.</summary>
public static class CallAuth
{
    /// <summary>The caller's user name, or null when it sent no token (or auth is off). Throws InvalidAuthToken on a stale token.</summary>
    public static string? UserOf(this AuthStore auth, ServerCallContext context)
    {
        if (!auth.Enabled)
        {
            return null;
        }

        // clientv3 sends "token"; some clients send "authorization".
        var token = context.RequestHeaders.GetValue("token") ?? context.RequestHeaders.GetValue("authorization");
        return auth.UserOf(token);
    }
}
