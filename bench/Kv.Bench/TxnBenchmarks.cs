using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>
/// Compare-and-swap txns on existing keys (durable, fsync on): "if mod_revision(k) == m then put k
/// else get k", with m the key's current mod revision, so every txn reads the record and succeeds.
/// 1000 txns in flight per invocation, on 1000 distinct keys of 10,000.
/// </summary>
[MemoryDiagnoser]
public class TxnBenchmarks : StoreBenchmark
{
    private const int Ops = 1000;
    private const int Keys = 10_000;
    private readonly byte[] _value = BenchStore.Value();
    private byte[][] _keys = [];
    private long[] _mod = [];
    private long _next;

    protected override void Prepare()
    {
        BenchStore.LoadAsync(Store, Keys).GetAwaiter().GetResult();
        _keys = Enumerable.Range(0, Keys).Select(i => BenchStore.Key(i)).ToArray();
        _mod = _keys.Select(k => Store.Range(new RangeRequest(k)).Kvs[0].ModRevision).ToArray();
    }

    [Benchmark(OperationsPerInvoke = Ops)]
    public async Task CompareAndSwap()
    {
        var tasks = new Task<TxnResponse>[Ops];
        var which = new int[Ops];
        for (int i = 0; i < Ops; i++)
        {
            int k = which[i] = (int)(_next++ % Keys);
            var txn = new TxnRequest(
                [new Compare(CompareResult.Equal, CompareTarget.Mod, _keys[k]) { ModRevision = _mod[k] }],
                [RequestOp.Of(new PutRequest(_keys[k], _value))],
                [RequestOp.Of(new RangeRequest(_keys[k]))]);
            tasks[i] = Store.TxnAsync(txn).AsTask();
        }

        var responses = await Task.WhenAll(tasks);
        for (int i = 0; i < Ops; i++)
        {
            if (!responses[i].Succeeded)
            {
                throw new InvalidOperationException($"CAS on key {which[i]} failed: expected mod revision {_mod[which[i]]}");
            }

            _mod[which[i]] = responses[i].Revision;
        }
    }
}
