using BenchmarkDotNet.Attributes;

namespace KvCluster.Kv.Bench;

/// <summary>
/// The lessor's hot paths with 100,000 leases: the expiry scan the leader runs every 500 ms (none
/// due: the common case), and one keep-alive.
/// </summary>
[MemoryDiagnoser]
public class LeaseBenchmarks : StoreBenchmark
{
    private const int Leases = 100_000;
    private int _next;

    protected override void Prepare()
    {
        // Granted 1,000 at a time (each grant is a durable write; concurrent ones share a WAL flush).
        for (int batch = 0; batch < Leases / 1000; batch++)
        {
            Task.WhenAll(Enumerable.Range(batch * 1000 + 1, 1000).Select(id => Store.LeaseGrantAsync(id, 3600).AsTask())).GetAwaiter().GetResult();
        }
    }

    [Benchmark]
    public int ExpiryScanNoneDue() => Store.Lessor.Expired().Count;

    [Benchmark]
    public long KeepAlive() => Store.LeaseKeepAlive((_next++ % Leases) + 1);
}
