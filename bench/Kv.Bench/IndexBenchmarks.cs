using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>The in-memory index alone, with 1,000,000 keys.</summary>
[MemoryDiagnoser]
public class IndexBenchmarks
{
    private const int Keys = 1_000_000;
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
    }

    [Benchmark]
    public bool Lookup() => _index.TryGet(_keys[(_next++ * 7919) % Keys], Keys, out _);

    [Benchmark]
    public int Scan1000() => _index.Range(new KeyRange("key/000000042"u8.ToArray(), "key/000000043"u8.ToArray()), Keys, descending: false, static (_, _) => true);
}
