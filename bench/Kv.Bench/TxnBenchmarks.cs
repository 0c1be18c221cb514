using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>Compare-and-swap txns (compare mod revision, then put), 1000 in flight per invocation.</summary>
[MemoryDiagnoser]
public class TxnBenchmarks : StoreBenchmark
{
    private const int Ops = 1000;
    private readonly byte[] _value = BenchStore.Value();
    private long _next;

    [Benchmark(OperationsPerInvoke = Ops)]
    public Task CompareAndSwap()
    {
        var tasks = new Task[Ops];
        for (int i = 0; i < Ops; i++)
        {
            var key = BenchStore.Key(_next++);
            var txn = new TxnRequest(
                [new Compare(CompareResult.Equal, CompareTarget.Mod, key) { ModRevision = 0 }],
                [RequestOp.Of(new PutRequest(key, _value))],
                [RequestOp.Of(new RangeRequest(key))]);
            tasks[i] = Store.TxnAsync(txn).AsTask();
        }

        return Task.WhenAll(tasks);
    }
}
