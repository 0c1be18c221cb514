using Google.Protobuf;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's request limits (--max-request-bytes).</summary>
public sealed class Limits(int maxRequestBytes)
{
    public int MaxRequestBytes { get; } = maxRequestBytes;

    public void CheckSize(IMessage request)
    {
        if (request.CalculateSize() > MaxRequestBytes)
        {
            throw RpcErrors.RequestTooLarge();
        }
    }
}
