using System.Diagnostics.Metrics;

namespace KvCluster.Kv.Bench;

/// <summary>
/// The engine's WAL flush durations (its <c>etcd_disk_wal_fsync_duration_seconds</c> histogram: one per group
/// commit, from the committer asking FASTER to commit to the commit being durable), collected while a phase runs.
/// </summary>
internal sealed class WalFlushTimes : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly List<double> _ms = [];

    public WalFlushTimes()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name == "KvCluster.Kv" && instrument.Name == "etcd_disk_wal_fsync_duration_seconds")
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<double>((_, seconds, _, _) =>
        {
            lock (_ms)
            {
                _ms.Add(seconds * 1000);
            }
        });
        _listener.Start();
    }

    /// <summary>"WAL flush ms: p50 … p90 … max …" of what was collected so far.</summary>
    public string Summary()
    {
        double[] ms;
        lock (_ms)
        {
            ms = [.. _ms];
        }

        if (ms.Length == 0)
        {
            return "WAL flush ms: none";
        }

        Array.Sort(ms);
        return $"WAL flush ms: p50 {ms[ms.Length / 2]:F2}, p90 {ms[ms.Length * 9 / 10]:F2}, max {ms[^1]:F2} ({ms.Length:N0} flushes, {ms.Sum():N0} ms in all)";
    }

    public void Dispose() => _listener.Dispose();
}
