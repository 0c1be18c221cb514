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

/// <summary>
/// kvbench's watch load in process: 10,000 watchers on 1,000 keys (10 per key); time from a put
/// until the 10 watchers of its key have its event. What it costs is finding those 10 among 10,000.
/// </summary>
[MemoryDiagnoser]
public class WatchManyKeysBenchmarks : StoreBenchmark
{
    private const int Keys = 1000;
    private const int WatchersPerKey = 10;
    private readonly byte[] _value = BenchStore.Value();
    private byte[][] _keys = [];
    private Watcher[][] _watchers = [];
    private int _next;

    protected override void Prepare()
    {
        _keys = [.. Enumerable.Range(0, Keys).Select(i => BenchStore.Key(i, "watched/"))];
        _watchers = [.. _keys.Select(k => Enumerable.Range(0, WatchersPerKey).Select(_ => Store.Watch(new WatchRequest(k))).ToArray())];
    }

    protected override void Release()
    {
        foreach (var w in _watchers.SelectMany(ws => ws))
        {
            w.Dispose();
        }
    }

    [Benchmark]
    public async Task PutThenItsKeysWatchersReceive()
    {
        int i = _next++ % Keys;
        var put = await Store.PutAsync(new PutRequest(_keys[i], _value));
        foreach (var w in _watchers[i])
        {
            var r = await w.Responses.ReadAsync();
            if (r.Revision != put.Revision)
            {
                throw new InvalidOperationException($"watcher {w.Id} got revision {r.Revision}, expected {put.Revision}");
            }
        }
    }
}
