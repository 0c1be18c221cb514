using FASTER.core;

namespace KvCluster.Kv.Storage;

/// <summary>
/// The engine's write-ahead log, a FasterLog. Writers enqueue entries while holding the store's
/// write lock; one committer thread makes everything enqueued so far durable with a single flush
/// (group commit). A checkpoint of the record store lets the log be truncated before its address.
/// </summary>
internal sealed class WriteAheadLog : IDisposable
{
    private readonly IDevice _device;
    private readonly FasterLog _log;

    public WriteAheadLog(string dir)
    {
        Directory.CreateDirectory(dir);
        _device = Devices.CreateLogDevice(Path.Combine(dir, "wal.log"), preallocateFile: false, deleteOnClose: false);
        _log = new FasterLog(new FasterLogSettings
        {
            LogDevice = _device,
            PageSize = 1L << 22,
            MemorySize = 1L << 25,
            SegmentSize = 1L << 28,
            LogCommitDir = Path.Combine(dir, "commits"),
            // The commit record goes into the log itself: one write per commit instead of two.
            FastCommitMode = true,
            LogChecksum = LogChecksumType.PerEntry,
            TryRecoverLatest = true,
            RemoveOutdatedCommits = true,
        });
    }

    public long TailAddress => _log.TailAddress;

    public long BeginAddress => _log.BeginAddress;

    /// <summary>True once a prefix of the log has been dropped (after a checkpoint).</summary>
    public bool IsTruncated => _log.BeginAddress > FirstAddress;

    private const long FirstAddress = 64; // FASTER's first valid log address

    public long Append(WalEntry entry) => _log.Enqueue(entry);

    /// <summary>
    /// Makes every entry enqueued before the call durable. Blocks without spinning: FasterLog's
    /// spin-waiting commit would burn a core for the whole fsync, on a machine that may have two.
    /// </summary>
    public void Commit() => _log.CommitAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Committed entries from <paramref name="from"/> on, in order.</summary>
    public IEnumerable<byte[]> ReadFrom(long from)
    {
        long start = Math.Max(from, _log.BeginAddress);
        using var iter = _log.Scan(start, _log.CommittedUntilAddress);
        while (iter.GetNext(out byte[] entry, out int length, out _))
        {
            yield return length == entry.Length ? entry : entry[..length];
        }
    }

    /// <summary>Drops the entries before <paramref name="address"/>; takes effect on disk at the next commit.</summary>
    public void TruncateUntil(long address) => _log.TruncateUntil(address);

    public void Dispose()
    {
        _log.Dispose();
        _device.Dispose();
    }
}
