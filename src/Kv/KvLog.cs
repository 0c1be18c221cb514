using Microsoft.Extensions.Logging;

namespace KvCluster.Kv;

/// <summary>The engine's structured log lines (source-generated).</summary>
internal static partial class KvLog
{
    [LoggerMessage(1, LogLevel.Information, "store opened: data_dir={DataDir} revision={Revision} compact_revision={CompactRevision} keys={Keys} wal_entries_replayed={Replayed} elapsed_ms={ElapsedMs}")]
    public static partial void StoreOpened(ILogger logger, string dataDir, long revision, long compactRevision, int keys, int replayed, long elapsedMs);

    [LoggerMessage(2, LogLevel.Warning, "no complete record checkpoint in {DataDir}: rebuilding from the whole write-ahead log")]
    public static partial void CheckpointMissing(ILogger logger, string dataDir);

    [LoggerMessage(3, LogLevel.Debug, "checkpoint taken: revision={Revision} wal_address={WalAddress} elapsed_ms={ElapsedMs}")]
    public static partial void CheckpointTaken(ILogger logger, long revision, long walAddress, long elapsedMs);

    [LoggerMessage(4, LogLevel.Information, "compacted: revision={Revision} removed_records={Removed} elapsed_ms={ElapsedMs}")]
    public static partial void Compacted(ILogger logger, long revision, int removed, long elapsedMs);

    [LoggerMessage(5, LogLevel.Information, "lease expired: id={LeaseId}")]
    public static partial void LeaseExpired(ILogger logger, long leaseId);

    [LoggerMessage(6, LogLevel.Critical, "write-ahead log flush failed; the store refuses further writes")]
    public static partial void WalFailed(ILogger logger, Exception error);

    [LoggerMessage(8, LogLevel.Information, "recovering: {Phase} {Done} so far, elapsed_ms={ElapsedMs}")]
    public static partial void RecoveryProgress(ILogger logger, string phase, long done, long elapsedMs);

    [LoggerMessage(7, LogLevel.Error, "background task {Task} failed")]
    public static partial void BackgroundFailed(ILogger logger, string task, Exception error);
}
