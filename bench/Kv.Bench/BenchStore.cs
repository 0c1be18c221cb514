using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>A store in a fresh temporary directory and the key/value shapes the targets name.</summary>
internal static class BenchStore
{
    public const int KeySize = 64;
    public const int ValueSize = 256;

    public static string NewDir() => Path.Combine(Path.GetTempPath(), "kvbench-" + Guid.NewGuid().ToString("N"));

    public static MvccStore Open(string dir, bool sync = true) => MvccStore.Open(new StoreOptions { DataDir = dir, Sync = sync, ExpireLeases = false });

    /// <summary>A 64-byte key: a readable, zero-padded number, then filler.</summary>
    public static byte[] Key(long i, string prefix = "key/")
    {
        var s = $"{prefix}{i:D12}/";
        return System.Text.Encoding.ASCII.GetBytes(s.PadRight(KeySize, 'k'));
    }

    public static byte[] Value() => Enumerable.Repeat((byte)'v', ValueSize).ToArray();

    /// <summary>Loads keys [0, count) in batches of 1000, one WAL flush per batch.</summary>
    public static async Task LoadAsync(MvccStore store, long count, string prefix = "key/", Action<long>? progress = null)
    {
        var value = Value();
        for (long i = 0; i < count; i += 1000)
        {
            long n = Math.Min(1000, count - i);
            var ops = new List<RequestOp>((int)n);
            for (long j = i; j < i + n; j++)
            {
                ops.Add(RequestOp.Of(new PutRequest(Key(j, prefix), value)));
            }

            await store.ApplyAsync(ops);
            progress?.Invoke(i + n);
        }
    }

    public static void Delete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
            // Temp files: best effort.
        }
    }
}
