using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>Durable puts (fsync on): 1000 writes per invocation, as single requests in flight together or as one batch.</summary>
[MemoryDiagnoser]
public class PutBenchmarks : StoreBenchmark
{
    private const int Ops = 1000;
    private readonly byte[] _value = BenchStore.Value();
    private long _next;

    /// <summary>1000 concurrent PutAsync calls: the committer groups them into few flushes.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public Task ConcurrentPuts()
    {
        var tasks = new Task[Ops];
        for (int i = 0; i < Ops; i++)
        {
            tasks[i] = Store.PutAsync(new PutRequest(BenchStore.Key(_next++ % 100_000), _value)).AsTask();
        }

        return Task.WhenAll(tasks);
    }

    /// <summary>One ApplyAsync of 1000 puts: each its own revision, one flush.</summary>
    [Benchmark(OperationsPerInvoke = Ops)]
    public Task BatchedPuts()
    {
        var ops = new RequestOp[Ops];
        for (int i = 0; i < Ops; i++)
        {
            ops[i] = RequestOp.Of(new PutRequest(BenchStore.Key(_next++ % 100_000), _value));
        }

        return Store.ApplyAsync(ops).AsTask();
    }
}
