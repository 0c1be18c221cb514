using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Watch;

namespace KvCluster.Kv.Bench;

/// <summary>1 writer, 1000 watchers on the key: time from a put until all 1000 have its event.</summary>
[MemoryDiagnoser]
public class WatchFanoutBenchmarks : StoreBenchmark
{
    private const int Watchers = 1000;
    private readonly byte[] _key = BenchStore.Key(1, "watched/");
    private readonly byte[] _value = BenchStore.Value();
    private Watcher[] _watchers = [];

    protected override void Prepare() =>
        _watchers = Enumerable.Range(0, Watchers).Select(_ => Store.Watch(new WatchRequest(_key))).ToArray();

    protected override void Release()
    {
        foreach (var w in _watchers)
        {
            w.Dispose();
        }
    }

    [Benchmark]
    public async Task PutThenAllWatchersReceive()
    {
        var put = await Store.PutAsync(new PutRequest(_key, _value));
        foreach (var w in _watchers)
        {
            var r = await w.Responses.ReadAsync();
            if (r.Revision != put.Revision)
            {
                throw new InvalidOperationException($"watcher {w.Id} got revision {r.Revision}, expected {put.Revision}");
            }
        }
    }
}
