using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Watch;

namespace KvCluster.Kv.Bench;

/// <summary>1 writer, 1000 watchers on the key: time from a put until all 1000 have its event.</summary>
[MemoryDiagnoser]
public class WatchFanoutBenchmarks
{
    private const int Watchers = 1000;
    private readonly byte[] _key = BenchStore.Key(1, "watched/");
    private readonly byte[] _value = BenchStore.Value();
    private string _dir = "";
    private MvccStore _store = null!;
    private Watcher[] _watchers = [];

    [GlobalSetup]
    public void Setup()
    {
        _dir = BenchStore.NewDir();
        _store = BenchStore.Open(_dir);
        _watchers = Enumerable.Range(0, Watchers).Select(_ => _store.Watch(new WatchRequest(_key))).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var w in _watchers)
        {
            w.Dispose();
        }

        _store.Dispose();
        BenchStore.Delete(_dir);
    }

    [Benchmark]
    public async Task PutThenAllWatchersReceive()
    {
        var put = await _store.PutAsync(new PutRequest(_key, _value));
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
