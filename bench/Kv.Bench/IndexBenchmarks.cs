using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>The in-memory index alone, with 1,000,000 keys.</summary>
[MemoryDiagnoser]
public class IndexBenchmarks
{
    private const int Keys = 1_000_000;

    /// <summary>Keys key/000000042000/… to key/000000042999/…: 1000 keys.</summary>
    private static readonly KeyRange Prefix = new("key/000000042"u8.ToArray(), "key/000000043"u8.ToArray());

    private readonly TreeIndex _index = new();
    private byte[][] _keys = [];
    private long _next;

    [GlobalSetup]
    public void Setup()
    {
        _keys = Enumerable.Range(0, Keys).Select(i => BenchStore.Key(i)).ToArray();
        for (int i = 0; i < Keys; i++)
        {
            _index.Put(_keys[i], new Revision(i + 1, 0), 0);
        }

        if (!Lookup() || Scan1000() != 1000)
        {
            throw new InvalidOperationException("the index does not hold the keys it was given");
        }
    }

    [Benchmark]
    public bool Lookup() => _index.TryGet(_keys[(_next++ * 7919) % Keys], Keys, out _);

    [Benchmark]
    public int Scan1000() => _index.Range(Prefix, Keys, descending: false, static (_, _) => true);
}
