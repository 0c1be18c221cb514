using KvCluster.Kv;
using KvCluster.Kv.Mvcc;
using KvCluster.KvServer.Consensus;
using KvCluster.KvServer.Maintenance;
using KvCluster.KvServer.Rpc;
using Prometheus;

namespace KvCluster.KvServer.Hosting;

/// <summary>etcd's HTTP endpoints on the client port: /health, /version, /metrics.</summary>
public static class HttpEndpoints
{
    public static void Map(WebApplication app, EngineSlot slot, Quota quota, IConsensus consensus)
    {
        app.MapGet("/health", (HttpContext http) => Health(slot, quota, consensus, http));
        app.MapGet("/version", () => Results.Json(new Dictionary<string, string>
        {
            ["etcdserver"] = MaintenanceService.EtcdVersion,
            ["etcdcluster"] = "3.5.0",
        }));

        Metrics.SuppressDefaultMetrics(new SuppressDefaultMetricOptions { SuppressEventCounters = true });
        Metrics.ConfigureMeterAdapter(o => o.InstrumentFilterPredicate = i => i.Meter.Name != EngineMetrics.MeterName);
        app.Services.GetRequiredService<EngineMetrics>();
        var dbSize = Metrics.CreateGauge("etcd_mvcc_db_total_size_in_bytes", "Total size of the underlying database physically allocated in bytes.");
        var dbInUse = Metrics.CreateGauge("etcd_mvcc_db_total_size_in_use_in_bytes", "Total size of the underlying database logically in use in bytes.");
        var quotaBytes = Metrics.CreateGauge("etcd_server_quota_backend_bytes", "Current backend storage quota size in bytes.");
        var hasLeader = Metrics.CreateGauge("etcd_server_has_leader", "Whether or not a leader exists. 1 is existence, 0 is not.");
        var revision = Metrics.CreateGauge("etcd_debugging_mvcc_current_revision", "The current revision of store.");
        var compacted = Metrics.CreateGauge("etcd_debugging_mvcc_compact_revision", "The revision of the last compaction in store.");
        var leases = Metrics.CreateGauge("etcd_debugging_lease_total", "The number of live leases.");
        var keys = Metrics.CreateGauge("etcd_debugging_mvcc_keys_total", "Total number of keys (live or with history) in the index.");
        var watchers = Metrics.CreateGauge("etcd_debugging_mvcc_watcher_total", "Total number of watchers.");
        var slowWatchers = Metrics.CreateGauge("etcd_debugging_mvcc_slow_watcher_total", "Total number of unsynced slow watchers.");
        Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
        {
            var store = slot.Current;
            dbSize.Set(quota.DbSize());
            dbInUse.Set(store.RecordLogBytes);
            quotaBytes.Set(quota.QuotaBytes);
            hasLeader.Set(consensus.Status.Leader != 0 ? 1 : 0);
            revision.Set(store.Revision);
            compacted.Set(store.CompactRevision);
            leases.Set(store.Leases().Count);
            keys.Set(store.IndexedKeys);
            var (total, slow) = store.WatcherCounts;
            watchers.Set(total);
            slowWatchers.Set(slow);
        });
        app.MapMetrics("/metrics");
    }

    /// <summary>etcd's answer: {"health":"true","reason":""}; false with the reason when an alarm is active or the store cannot read.</summary>
    private static IResult Health(EngineSlot store, Quota quota, IConsensus consensus, HttpContext http)
    {
        string reason = "";
        var alarms = quota.Active();
        if (consensus.Status.Leader == 0)
        {
            reason = "RAFT NO LEADER";
        }
        else if (alarms.Count > 0)
        {
            reason = "ALARM " + string.Join(",", alarms.Select(a => a == AlarmKind.NoSpace ? "NOSPACE" : a.ToString().ToUpperInvariant()));
        }
        else
        {
            try
            {
                store.Range(new RangeRequest("health"u8.ToArray()));
            }
            catch (Exception e) when (e is KvException or ObjectDisposedException)
            {
                reason = "QGET ERROR";
            }
        }

        bool healthy = reason.Length == 0;
        http.Response.StatusCode = healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable;
        return Results.Text($"{{\"health\":\"{(healthy ? "true" : "false")}\",\"reason\":\"{reason}\"}}", "application/json");
    }
}
