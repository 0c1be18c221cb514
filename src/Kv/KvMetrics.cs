using System.Diagnostics.Metrics;

namespace KvCluster.Kv;

/// <summary>
/// The engine's instruments, on the "KvCluster.Kv" meter; the server exports them as Prometheus text.
/// Names follow etcd's where one exists (etcd_mvcc_put_total, etcd_disk_wal_fsync_duration_seconds, …).
/// </summary>
internal static class KvMetrics
{
    public static readonly Meter Meter = new("KvCluster.Kv");

    public static readonly Counter<long> Puts = Meter.CreateCounter<long>("etcd_mvcc_put_total", description: "Puts applied");
    public static readonly Counter<long> Deletes = Meter.CreateCounter<long>("etcd_mvcc_delete_total", description: "Deletes applied");
    public static readonly Counter<long> Txns = Meter.CreateCounter<long>("etcd_mvcc_txn_total", description: "Txns applied");
    public static readonly Counter<long> Ranges = Meter.CreateCounter<long>("etcd_mvcc_range_total", description: "Ranges served");
    public static readonly Histogram<double> WalFsync = Meter.CreateHistogram<double>("etcd_disk_wal_fsync_duration_seconds", "s", "WAL flush latency (one per group commit)");
    public static readonly Histogram<long> CommitBatch = Meter.CreateHistogram<long>("kv_commit_batch_revisions", description: "Revisions made durable by one WAL flush");
    public static readonly Histogram<double> Checkpoint = Meter.CreateHistogram<double>("kv_checkpoint_duration_seconds", "s", "FASTER checkpoint duration");
    public static readonly Counter<long> LeasesExpired = Meter.CreateCounter<long>("etcd_debugging_server_lease_expired_total", description: "Leases revoked by expiry");
}
