using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Auth;

namespace KvCluster.KvServer.Rpc;

/// <summary>
/// The one table mapping domain errors to gRPC statuses. Codes and messages are etcd's (its
/// rpctypes): clients such as clientv3 turn a status back into an error by its message.
/// </summary>
public static class RpcErrors
{
    public static RpcException RequestTooLarge() => new(new Status(StatusCode.InvalidArgument, "etcdserver: request is too large"));

    public static RpcException NoSpace() => new(new Status(StatusCode.ResourceExhausted, "etcdserver: mvcc: database space exceeded"));

    public static RpcException NotCapable() => new(new Status(StatusCode.Unavailable, "etcdserver: not capable"));

    public static RpcException Stopped() => new(new Status(StatusCode.Unavailable, "etcdserver: server stopped"));

    public static RpcException MemberNotFound() => new(new Status(StatusCode.NotFound, "etcdserver: member not found"));

    public static RpcException Unimplemented(string what) =>
        new(new Status(StatusCode.Unimplemented, $"etcdserver: {what} is not supported by this server yet"));

    /// <summary>
    /// A body that does not parse: grpc-go (so etcd) answers Internal with this text, ending in the Go
    /// decoder's words for the common cases.
    /// </summary>
    public static RpcException Unmarshal(Google.Protobuf.InvalidProtocolBufferException e)
    {
        string reason = e.Message switch
        {
            var m when m.Contains("ended unexpectedly", StringComparison.Ordinal) => "unexpected EOF",
            var m when m.Contains("malformed varint", StringComparison.Ordinal) => "proto: integer overflow",
            var m when m.Contains("negative size", StringComparison.Ordinal) => "proto: negative length found during unmarshaling",
            var m => m,
        };
        return new(new Status(StatusCode.Internal, "grpc: error unmarshalling request: " + reason));
    }

    /// <summary>Translates an exception thrown below the gRPC layer; anything unknown becomes Unknown with its message.</summary>
    public static RpcException From(Exception e) => e switch
    {
        RpcException r => r,
        KvException k => new(new Status(Code(k.Code), k.Message)),
        AuthException a => new(new Status(Code(a.Code), a.Message)),
        // grpc-go (so etcd) answers a body that does not parse with Internal and this text.
        Google.Protobuf.InvalidProtocolBufferException p => Unmarshal(p),
        OperationCanceledException => new(new Status(StatusCode.Cancelled, "etcdserver: request canceled")),
        ObjectDisposedException => Stopped(),
        _ => new(new Status(StatusCode.Unknown, e.Message)),
    };

    private static StatusCode Code(KvErrorCode code) => code switch
    {
        KvErrorCode.Compacted or KvErrorCode.FutureRevision or KvErrorCode.LeaseTtlTooLarge => StatusCode.OutOfRange,
        KvErrorCode.LeaseNotFound => StatusCode.NotFound,
        KvErrorCode.LeaseExists => StatusCode.FailedPrecondition,
        KvErrorCode.NotPrimary => StatusCode.Unavailable,
        KvErrorCode.Corrupt => StatusCode.DataLoss,
        _ => StatusCode.InvalidArgument,
    };

    private static StatusCode Code(AuthErrorCode code) => code switch
    {
        AuthErrorCode.UserEmpty or AuthErrorCode.RoleEmpty or AuthErrorCode.AuthFailed or AuthErrorCode.PermissionNotGiven
            or AuthErrorCode.InvalidAuthMgmt => StatusCode.InvalidArgument,
        AuthErrorCode.PermissionDenied => StatusCode.PermissionDenied,
        AuthErrorCode.InvalidAuthToken => StatusCode.Unauthenticated,
        _ => StatusCode.FailedPrecondition,
    };
}
