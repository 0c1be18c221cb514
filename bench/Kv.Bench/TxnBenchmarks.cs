using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>Compare-and-swap txns (compare mod revision, then put), 1000 in flight per invocation.</summary>
[MemoryDiagnoser]
public class TxnBenchmarks
{
    private const int Ops = 1000;
    private readonly byte[] _value = BenchStore.Value();
    private string _dir = "";
    private MvccStore _store = null!;
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _dir = BenchStore.NewDir();
        _store = BenchStore.Open(_dir);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        BenchStore.Delete(_dir);
    }

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
            tasks[i] = _store.TxnAsync(txn).AsTask();
        }

        return Task.WhenAll(tasks);
    }
}
