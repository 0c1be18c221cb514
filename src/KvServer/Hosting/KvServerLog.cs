using Microsoft.Extensions.Logging;

namespace KvCluster.KvServer.Hosting;

/// <summary>The server's structured log lines (source-generated).</summary>
internal static partial class KvServerLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "serving client traffic on {Url}")]
    public static partial void Serving(ILogger logger, string url);

    [LoggerMessage(EventId = 2, Level = LogLevel.Information, Message = "member {Name} ready: member-id {MemberId:x16}, cluster-id {ClusterId:x16}, data-dir {DataDir}, revision {Revision}")]
    public static partial void Ready(ILogger logger, string name, ulong memberId, ulong clusterId, string dataDir, long revision);

    [LoggerMessage(EventId = 3, Level = LogLevel.Warning, Message = "alarm raised: {Alarm} (db size {DbSize} bytes, quota {Quota} bytes)")]
    public static partial void AlarmRaised(ILogger logger, string alarm, long dbSize, long quota);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "auto compaction at revision {Revision} ({Mode}, retention {Retention})")]
    public static partial void AutoCompacted(ILogger logger, long revision, string mode, string retention);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "auto compaction at revision {Revision} failed")]
    public static partial void AutoCompactionFailed(ILogger logger, long revision, Exception e);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "rpc {Method} failed with an unexpected error")]
    public static partial void RpcFailed(ILogger logger, string method, Exception e);

    [LoggerMessage(EventId = 7, Level = LogLevel.Information, Message = "snapshot sent: {Bytes} bytes at revision {Revision}")]
    public static partial void SnapshotSent(ILogger logger, long bytes, long revision);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "defragmented: record log {Before} -> {After} bytes in {Millis} ms")]
    public static partial void Defragmented(ILogger logger, long before, long after, long millis);

    [LoggerMessage(EventId = 9, Level = LogLevel.Information, Message = "stopping: {Reason}")]
    public static partial void Stopping(ILogger logger, string reason);

    [LoggerMessage(EventId = 120, Level = LogLevel.Warning, Message = "shutdown went on without waiting longer for {What}")]
    public static partial void ShutdownSlow(ILogger logger, string what);
}
