using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>Reads on a store of 100,000 keys: one key, and a 1000-key prefix.</summary>
[MemoryDiagnoser]
public class RangeBenchmarks
{
    private const int Keys = 100_000;
    private string _dir = "";
    private MvccStore _store = null!;
    private byte[][] _keys = [];
    private int _next;

    [GlobalSetup]
    public void Setup()
    {
        _dir = BenchStore.NewDir();
        _store = BenchStore.Open(_dir);
        BenchStore.LoadAsync(_store, Keys).GetAwaiter().GetResult();
        _keys = Enumerable.Range(0, Keys).Select(i => BenchStore.Key(i)).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _store.Dispose();
        BenchStore.Delete(_dir);
    }

    [Benchmark]
    public RangeResponse SingleKey() => _store.Range(new RangeRequest(_keys[_next++ % Keys]));

    /// <summary>Keys key/000000042000/… to key/000000042999/…: 1000 keys by prefix "key/000000042".</summary>
    [Benchmark]
    public RangeResponse Prefix1000() => _store.Range(new RangeRequest("key/000000042"u8.ToArray(), "key/000000043"u8.ToArray()));
}
