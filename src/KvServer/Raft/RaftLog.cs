namespace KvCluster.KvServer.Raft;

/// <summary>Structured log events of the Raft layer.</summary>
internal static partial class RaftLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "added member {PeerEndPoint} to the cluster")]
    public static partial void MemberAdded(ILogger logger, string peerEndPoint);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "member {PeerEndPoint} not added yet ({Reason}); retrying until it starts")]
    public static partial void MemberAddRetry(ILogger logger, string peerEndPoint, string reason);

    [LoggerMessage(EventId = 303, Level = LogLevel.Warning, Message = "the Raft log stopped on {Failure}: {Reason}; restarting the Raft layer in place")]
    public static partial void WalRestart(ILogger logger, string failure, string reason, Exception? e);

    [LoggerMessage(EventId = 304, Level = LogLevel.Information, Message = "the Raft layer restarted; rejoining the cluster from the snapshot point")]
    public static partial void WalRestarted(ILogger logger);

    [LoggerMessage(EventId = 305, Level = LogLevel.Error, Message = "restarting the Raft layer failed (attempt {Attempt}); retrying in 1 s")]
    public static partial void WalRestartFailed(ILogger logger, int attempt, Exception e);

    [LoggerMessage(EventId = 308, Level = LogLevel.Warning, Message = "member {Member} refuses snapshot {Index} ({Count} installs in a row: DotNext's snapshot livelock); this leader steps down so the next one replicates from the log's end")]
    public static partial void SnapshotLoop(ILogger logger, string member, long index, int count);

    [LoggerMessage(EventId = 306, Level = LogLevel.Warning, Message = "the member has been permanently removed from the cluster (member {MemberId}); stopping")]
    public static partial void Removed(ILogger logger, string memberId);

    [LoggerMessage(EventId = 307, Level = LogLevel.Warning, Message = "could not tell removed member {MemberId} to stop: {Reason}")]
    public static partial void RemovedNotTold(ILogger logger, string memberId, string reason);
}
