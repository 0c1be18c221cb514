namespace KvCluster.JepsenLite.Workloads;

/// <summary>Latencies of the operations that completed ok, for the summary's percentiles.</summary>
public sealed class Latencies
{
    private readonly List<double> _ms = [];

    public void Add(TimeSpan t)
    {
        lock (_ms)
        {
            _ms.Add(t.TotalMilliseconds);
        }
    }

    /// <summary>The q-quantile in milliseconds (0 when nothing was recorded).</summary>
    public double Percentile(double q)
    {
        lock (_ms)
        {
            if (_ms.Count == 0)
            {
                return 0;
            }

            var sorted = _ms.Order().ToArray();
            return sorted[Math.Clamp((int)Math.Ceiling(q * sorted.Length) - 1, 0, sorted.Length - 1)];
        }
    }
}
