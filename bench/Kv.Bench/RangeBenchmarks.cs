using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>Reads on a store of 100,000 keys: one key, and a 1000-key prefix.</summary>
[MemoryDiagnoser]
public class RangeBenchmarks : StoreBenchmark
{
    private const int Keys = 100_000;
    private byte[][] _keys = [];
    private long _next;

    protected override void Prepare()
    {
        BenchStore.LoadAsync(Store, Keys).GetAwaiter().GetResult();
        _keys = Enumerable.Range(0, Keys).Select(i => BenchStore.Key(i)).ToArray();
        if (SingleKey().Kvs.Count != 1 || Prefix1000().Kvs.Count != 1000)
        {
            throw new InvalidOperationException("the preloaded keys are not all there");
        }
    }

    [Benchmark]
    public RangeResponse SingleKey() => Store.Range(new RangeRequest(_keys[_next++ % Keys]));

    /// <summary>Keys key/000000042000/… to key/000000042999/…: 1000 keys by prefix "key/000000042".</summary>
    [Benchmark]
    public RangeResponse Prefix1000() => Store.Range(new RangeRequest("key/000000042"u8.ToArray(), "key/000000043"u8.ToArray()));
}
