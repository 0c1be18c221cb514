using BenchmarkDotNet.Attributes;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>A benchmark over a fresh durable store in a temporary directory, deleted afterwards.</summary>
public abstract class StoreBenchmark
{
    private string _dir = "";

    protected MvccStore Store { get; private set; } = null!;

    [GlobalSetup]
    public void Setup()
    {
        _dir = BenchStore.NewDir();
        Store = BenchStore.Open(_dir);
        Prepare();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        Release();
        Store.Dispose();
        BenchStore.Delete(_dir);
    }

    /// <summary>Per-class set-up after the store is open.</summary>
    protected virtual void Prepare()
    {
    }

    /// <summary>Per-class clean-up before the store closes.</summary>
    protected virtual void Release()
    {
    }
}
