using KvCluster.Kv.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvCluster.Kv;

/// <summary>How a store is opened. Names follow etcd's flags where one exists.</summary>
public sealed record StoreOptions
{
    /// <summary>Directory of the store's files (etcd's --data-dir).</summary>
    public required string DataDir { get; init; }

    /// <summary>Flush the WAL before acknowledging writes. Off only where another log (Raft's) is durable first.</summary>
    public bool Sync { get; init; } = true;

    /// <summary>etcd's --max-txn-ops.</summary>
    public int MaxTxnOps { get; init; } = 128;

    /// <summary>The shortest lease TTL in seconds. etcd derives it from the election timeout: ceil(1.5 × 1 s) = 2.</summary>
    public long MinLeaseTtl { get; init; } = 2;

    /// <summary>Expire leases in the background. A Raft member turns this off and proposes revocations instead.</summary>
    public bool ExpireLeases { get; init; } = true;

    /// <summary>How often the lease expiry loop runs.</summary>
    public TimeSpan LeaseCheckInterval { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Take a FASTER checkpoint (and truncate the WAL) once the WAL has grown this much.</summary>
    public long CheckpointWalBytes { get; init; } = 64L << 20;

    /// <summary>
    /// …or this long after the last checkpoint if anything changed. Short, so that each checkpoint
    /// flushes little: one large flush delays the WAL fsyncs that run beside it (etcdctl check perf
    /// saw 0.3-1 s requests during 60 s checkpoints).
    /// </summary>
    public TimeSpan CheckpointInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Take the first checkpoints (a full one, then a log-only one) as soon as the store is open (in
    /// the background) instead of one <see cref="CheckpointInterval"/> later. A process's first checkpoint costs far more than the
    /// next ones (first runs of FASTER's checkpoint code, the full hash index): measured on 3 members
    /// sharing 2 cores, 250-570 ms against 1-60 ms, and it stalled writes and watch deliveries for up
    /// to 450 ms when it fell 10 s into a load. At open a server is usually idle. Servers set it.
    /// </summary>
    public bool CheckpointAtOpen { get; init; }

    /// <summary>etcd's --experimental-watch-progress-notify-interval.</summary>
    public TimeSpan WatchProgressNotifyInterval { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Responses a watcher may have waiting before it is moved to the unsynced group.</summary>
    public int WatchBufferSize { get; init; } = 128;

    public StorageOptions Storage { get; init; } = new();

    public TimeProvider Time { get; init; } = TimeProvider.System;

    public ILogger Logger { get; init; } = NullLogger.Instance;
}
