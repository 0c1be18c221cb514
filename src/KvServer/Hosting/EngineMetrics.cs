using System.Diagnostics.Metrics;
using Prometheus;

namespace KvCluster.KvServer.Hosting;

/// <summary>
/// Exports the engine's instruments (meter "KvCluster.Kv") under their own names, which are etcd's
/// (etcd_disk_wal_fsync_duration_seconds, etcd_mvcc_put_total, …), so dashboards built for etcd work.
/// prometheus-net's generic adapter would prefix them with the meter name; it is told to skip them.
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "KvCluster.Kv";

    private readonly MeterListener _listener = new();
    private readonly Dictionary<Instrument, Action<double>> _sinks = [];

    public EngineMetrics()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != MeterName)
            {
                return;
            }

            lock (_sinks)
            {
                _sinks[instrument] = Sink(instrument);
            }

            listener.EnableMeasurementEvents(instrument);
        };
        _listener.SetMeasurementEventCallback<long>((i, v, _, _) => Record(i, v));
        _listener.SetMeasurementEventCallback<double>((i, v, _, _) => Record(i, v));
        _listener.Start();
    }

    private void Record(Instrument instrument, double value)
    {
        Action<double>? sink;
        lock (_sinks)
        {
            _sinks.TryGetValue(instrument, out sink);
        }

        sink?.Invoke(value);
    }

    private static Action<double> Sink(Instrument instrument)
    {
        var help = instrument.Description ?? instrument.Name;
        if (instrument.GetType().Name.StartsWith("Histogram", StringComparison.Ordinal))
        {
            // etcd's disk histograms: 1 ms doubling to ~8 s.
            var buckets = instrument.Unit == "s" ? Histogram.ExponentialBuckets(0.001, 2, 14) : Histogram.ExponentialBuckets(1, 2, 16);
            var h = Metrics.CreateHistogram(instrument.Name, help, new HistogramConfiguration { Buckets = buckets });
            return h.Observe;
        }

        var c = Metrics.CreateCounter(instrument.Name, help);
        return v => c.Inc(v);
    }

    public void Dispose() => _listener.Dispose();
}
