using System.Diagnostics;
using System.Text.Json;
using HdrHistogram;

namespace KvCluster.KvBench;

/// <summary>
/// Latencies of one run, in an HDR histogram (1 µs to 1 h, 3 significant digits), with a progress
/// line on stderr once a second and the summary (throughput, percentiles, histogram) on stdout.
/// </summary>
internal sealed class Recorder : IDisposable
{
    private readonly LongHistogram _histogram = new(TimeStamp.Hours(1), 3);
    private readonly object _lock = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Timer _progress;
    private readonly string _what;
    private readonly long _expected;
    private readonly List<long> _maxPerSecond = [];
    private readonly DateTime _startedUtc = DateTime.UtcNow;
    private long _done;
    private long _errors;

    public Recorder(string what, long expected)
    {
        _what = what;
        _expected = expected;
        _progress = new Timer(_ => Progress(), null, 1000, 1000);
    }

    public long Done => Interlocked.Read(ref _done);

    public long Errors => Interlocked.Read(ref _errors);

    /// <summary>One operation (or event) that took <paramref name="ticks"/> Stopwatch ticks.</summary>
    public void Record(long ticks)
    {
        long micros = Math.Max(1, ticks * 1_000_000 / Stopwatch.Frequency);
        int second = (int)_clock.Elapsed.TotalSeconds;
        lock (_lock)
        {
            _histogram.RecordValue(Math.Min(micros, _histogram.HighestTrackableValue));
            // Worst latency of what completed in each second of the run: stalls show as spikes in time.
            while (_maxPerSecond.Count <= second)
            {
                _maxPerSecond.Add(0);
            }

            _maxPerSecond[second] = Math.Max(_maxPerSecond[second], micros);
        }

        Interlocked.Increment(ref _done);
    }

    public void Error() => Interlocked.Increment(ref _errors);

    private double[] MaxPerSecond()
    {
        lock (_lock)
        {
            return [.. _maxPerSecond.Select(m => Math.Round(m / 1000.0, 1))];
        }
    }

    private void Progress()
    {
        long d = Done;
        string of = _expected > 0 ? $"/{_expected} ({100.0 * d / _expected:F1}%)" : "";
        Console.Error.Write($"\r{_what} {d}{of} {d / _clock.Elapsed.TotalSeconds:N0}/s, {Errors} errors   ");
    }

    /// <summary>Prints the summary and returns it (also written to <paramref name="json"/> when given).</summary>
    public Dictionary<string, object> Report(Dictionary<string, object> run, string? json)
    {
        _progress.Change(Timeout.Infinite, Timeout.Infinite);
        var elapsed = _clock.Elapsed;
        Console.Error.WriteLine();
        LongHistogram h;
        lock (_lock)
        {
            h = (LongHistogram)_histogram.Copy();
        }

        double Ms(double percentile) => h.TotalCount == 0 ? 0 : Math.Round(h.GetValueAtPercentile(percentile) / 1000.0, 3);
        var summary = new Dictionary<string, object>(run)
        {
            ["total"] = h.TotalCount,
            ["errors"] = Errors,
            ["seconds"] = Math.Round(elapsed.TotalSeconds, 3),
            ["requests_per_second"] = Math.Round(h.TotalCount / elapsed.TotalSeconds, 1),
            ["p50_ms"] = Ms(50),
            ["p90_ms"] = Ms(90),
            ["p99_ms"] = Ms(99),
            ["p999_ms"] = Ms(99.9),
            ["max_ms"] = Math.Round(h.GetMaxValue() / 1000.0, 3),
            ["started_utc"] = _startedUtc.ToString("O"),
            ["max_ms_per_second"] = MaxPerSecond(),
        };
        Console.WriteLine($"Summary: {h.TotalCount} {_what} in {elapsed.TotalSeconds:F2} s, {Errors} errors");
        Console.WriteLine($"  Per second: {summary["requests_per_second"]}");
        Console.WriteLine($"  Latency ms: p50 {summary["p50_ms"]}  p90 {summary["p90_ms"]}  p99 {summary["p99_ms"]}  p99.9 {summary["p999_ms"]}  max {summary["max_ms"]}");
        Console.WriteLine("Latency histogram (ms, upper bound of each bucket):");
        long max = Math.Max(h.GetMaxValue(), 1);
        for (int b = 1; b <= 10; b++)
        {
            long lower = max * (b - 1) / 10, upper = max * b / 10;
            long count = h.RecordedValues().Where(v => v.ValueIteratedTo > lower && v.ValueIteratedTo <= upper).Sum(v => v.CountAtValueIteratedTo);
            Console.WriteLine($"  {upper / 1000.0,10:F3} [{count,8}] {new string('∎', (int)(40.0 * count / Math.Max(1, h.TotalCount)))}");
        }

        if (json is { Length: > 0 })
        {
            File.WriteAllText(json, JsonSerializer.Serialize(summary));
        }

        return summary;
    }

    public void Dispose() => _progress.Dispose();
}
