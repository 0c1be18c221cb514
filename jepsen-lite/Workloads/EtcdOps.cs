using Google.Protobuf;
using Grpc.Core;
using KvCluster.KvServer.Api;

namespace KvCluster.JepsenLite.Workloads;

/// <summary>What became of a request: done, certainly not done, or unknown (it may have been applied).</summary>
public enum Outcome { Ok, Fail, Info }

/// <summary>The etcd v3 calls the workloads make, and how their errors count in a history.</summary>
public static class EtcdOps
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    public static ByteString Key(string key) => ByteString.CopyFromUtf8(key);

    /// <summary>
    /// A write that failed: certainly not applied when the connection was never made; otherwise
    /// (a timeout, a reset, "no leader", "request timed out") it may have been applied, so it is info.
    /// </summary>
    public static Outcome WriteError(RpcException e) =>
        e.StatusCode == StatusCode.Unavailable && (e.Status.Detail.Contains("Error connecting", StringComparison.OrdinalIgnoreCase) || e.Status.Detail.Contains("Connection refused", StringComparison.OrdinalIgnoreCase))
            ? Outcome.Fail
            : Outcome.Info;

    public static string Describe(RpcException e) => $"{e.StatusCode}: {e.Status.Detail}";

    public static DateTime Deadline() => DateTime.UtcNow.Add(Timeout);

    /// <summary>A register's value: the key's value as an integer, or null when absent.</summary>
    public static long? ValueOf(RangeResponse r) => r.Kvs.Count == 0 ? null : long.Parse(r.Kvs[0].Value.ToStringUtf8(), System.Globalization.CultureInfo.InvariantCulture);
}
