namespace KvCluster.KvServer.Raft;

/// <summary>Structured log events of the Raft layer.</summary>
internal static partial class RaftLog
{
    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "added member {PeerEndPoint} to the cluster")]
    public static partial void MemberAdded(ILogger logger, string peerEndPoint);

    [LoggerMessage(EventId = 301, Level = LogLevel.Information, Message = "member {PeerEndPoint} not added yet ({Reason}); retrying until it starts")]
    public static partial void MemberAddRetry(ILogger logger, string peerEndPoint, string reason);

    [LoggerMessage(EventId = 302, Level = LogLevel.Information, Message = "leader changed to {Leader} (term {Term})")]
    public static partial void LeaderChanged(ILogger logger, string leader, ulong term);
}
