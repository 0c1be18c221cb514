using Google.Protobuf;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's request limits (--max-request-bytes).</summary>
public sealed class Limits(int maxRequestBytes)
{
    public int MaxRequestBytes { get; } = maxRequestBytes;

    /// <summary>Returns the request's encoded size (the quota charges it too); throws when over --max-request-bytes.</summary>
    public int CheckSize(IMessage request)
    {
        int size = request.CalculateSize();
        return size <= MaxRequestBytes ? size : throw RpcErrors.RequestTooLarge();
    }
}
