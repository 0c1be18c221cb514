using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Bench;

/// <summary>A store in a fresh temporary directory and the key/value shapes the targets name.</summary>
internal static class BenchStore
{
    public const int KeySize = 64;
    public const int ValueSize = 256;

    public static string NewDir() => Path.Combine(Path.GetTempPath(), "kvbench-" + Guid.NewGuid().ToString("N"));

    public static MvccStore Open(string dir, bool sync = true, Microsoft.Extensions.Logging.ILogger? logger = null) =>
        MvccStore.Open(new StoreOptions { DataDir = dir, Sync = sync, ExpireLeases = false, Logger = logger ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance });

    /// <summary>
    /// A 64-byte key: the prefix, the number zero-padded to 12 digits, '/', then 'k' filler
    /// ("key/000000000042/kkk…"). Built without strings: the benchmark client should cost little.
    /// </summary>
    public static byte[] Key(long i, string prefix = "key/")
    {
        var key = new byte[KeySize];
        int p = System.Text.Encoding.ASCII.GetBytes(prefix, key);
        for (int d = p + 11; d >= p; d--)
        {
            key[d] = (byte)('0' + (i % 10));
            i /= 10;
        }

        p += 12;
        key[p++] = (byte)'/';
        key.AsSpan(p).Fill((byte)'k');
        return key;
    }

    public static byte[] Value() => Enumerable.Repeat((byte)'v', ValueSize).ToArray();

    /// <summary>Loads keys [from, count) in batches of 1000 (one ApplyAsync, one WAL flush per batch).</summary>
    public static async Task LoadAsync(MvccStore store, long count, string prefix = "key/", Action<long>? progress = null, long from = 0)
    {
        var value = Value();
        for (long i = from; i < count; i += 1000)
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
