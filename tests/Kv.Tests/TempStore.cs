using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Tests;

/// <summary>A store in a fresh temporary directory, deleted on dispose.</summary>
internal sealed class TempStore : IAsyncDisposable
{
    private TempStore(string dir, StoreOptions options)
    {
        Dir = dir;
        Options = options;
        Store = MvccStore.Open(options);
    }

    public string Dir { get; }
    public StoreOptions Options { get; private set; }
    public MvccStore Store { get; private set; }

    public static TempStore Create(Func<StoreOptions, StoreOptions>? configure = null)
    {
        string dir = NewDir();
        var options = new StoreOptions
        {
            DataDir = dir,
            Storage = new KvCluster.Kv.Storage.StorageOptions { IndexBytes = 1L << 16, MemoryBytes = 1L << 24, PageBytes = 1L << 20 },
        };
        return new TempStore(dir, configure?.Invoke(options) ?? options);
    }

    public static string NewDir() => Path.Combine(Path.GetTempPath(), "kvtest-" + Guid.NewGuid().ToString("N"));

    /// <summary>Closes the store cleanly and opens it again from disk.</summary>
    public async Task ReopenAsync()
    {
        await Store.DisposeAsync();
        Store = MvccStore.Open(Options);
    }

    public async ValueTask DisposeAsync()
    {
        await Store.DisposeAsync();
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a temp dir left behind is harmless.
        }
    }
}

internal static class Bytes
{
    public static byte[] B(string s) => System.Text.Encoding.UTF8.GetBytes(s);

    public static string S(byte[] b) => System.Text.Encoding.UTF8.GetString(b);
}
