using System.Collections.Concurrent;
using System.Diagnostics;

namespace KvCluster.ApiBench;

/// <summary>Samples in Stopwatch ticks; percentiles by sorting (nearest rank), as kvbench does.</summary>
internal sealed class Samples
{
    private readonly long[] _values;
    private int _count;

    public Samples(int capacity) => _values = new long[capacity];

    public int Count => Math.Min(Volatile.Read(ref _count), _values.Length);

    /// <summary>Thread-safe; samples beyond the capacity are dropped.</summary>
    public void Add(long ticks)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _values.Length)
        {
            _values[i] = ticks;
        }
    }

    /// <summary>The samples so far, sorted (a copy).</summary>
    public long[] Sorted()
    {
        var copy = _values.AsSpan(0, Count).ToArray();
        Array.Sort(copy);
        return copy;
    }

    public static double Ms(long ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency, 3);

    /// <summary>The <paramref name="q"/> quantile of sorted samples, in ms (0 when there are none).</summary>
    public static double Quantile(long[] sorted, double q) =>
        sorted.Length == 0 ? 0 : Ms(sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)]);

    /// <summary>p50, p90, p99, p99.9 and max in ms, under "prefix_pNN_ms" names.</summary>
    public static void Describe(long[] sorted, IDictionary<string, object> into, string prefix = "")
    {
        into[prefix + "p50_ms"] = Quantile(sorted, 0.50);
        into[prefix + "p90_ms"] = Quantile(sorted, 0.90);
        into[prefix + "p99_ms"] = Quantile(sorted, 0.99);
        into[prefix + "p999_ms"] = Quantile(sorted, 0.999);
        into[prefix + "max_ms"] = sorted.Length == 0 ? 0 : Ms(sorted[^1]);
    }

    public static string Line(long[] sorted) =>
        $"p50 {Quantile(sorted, 0.5)}  p90 {Quantile(sorted, 0.9)}  p99 {Quantile(sorted, 0.99)}  p99.9 {Quantile(sorted, 0.999)}  max {(sorted.Length == 0 ? 0 : Ms(sorted[^1]))}";
}

/// <summary>Failed requests by HTTP code (or "exception:Type"), with the first message seen for each.</summary>
internal sealed class ErrorCounter
{
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _samples = new(StringComparer.Ordinal);
    private int _total;

    public int Total => Volatile.Read(ref _total);

    public void Add(string code, string? message, int count = 1)
    {
        if (count <= 0)
        {
            return;
        }

        Interlocked.Add(ref _total, count);
        _counts.AddOrUpdate(code, count, (_, n) => n + count);
        if (message is not null)
        {
            _samples.TryAdd(code, message.Length > 300 ? message[..300] + "…" : message);
        }
    }

    public Dictionary<string, object> ToJson() =>
        _counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).ToDictionary(kv => kv.Key, kv => (object)kv.Value);

    public IEnumerable<string> Describe() =>
        _counts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} x{kv.Value}: {_samples.GetValueOrDefault(kv.Key, "")}");
}

/// <summary>A progress line on stderr once a second ("\r"-rewritten, as kvbench's), ended with a newline on dispose.</summary>
internal sealed class Progress : IDisposable
{
    private readonly Func<string> _text;
    private readonly Timer _timer;
    private readonly object _lock = new();
    private bool _done;

    public Progress(Func<string> text)
    {
        _text = text;
        _timer = new Timer(_ => Write(), null, 1000, 1000);
    }

    private void Write()
    {
        lock (_lock)
        {
            if (!_done)
            {
                Console.Error.Write($"\r{_text()}   ");
            }
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        lock (_lock)
        {
            if (!_done)
            {
                _done = true;
                Console.Error.WriteLine($"\r{_text()}   ");
            }
        }
    }
}
