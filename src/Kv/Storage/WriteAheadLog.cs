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
    private readonly ManualResetEventSlim _committed = new(false, spinCount: 0);

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
            // The commit record goes into the log itself: one write per commit. FasterLog's default commit
            // manager would still create a metadata file per commit and delete the previous one (a
            // create, a write and an unlink, each a journal commit, on every group commit); written
            // every CommitFileEvery commits instead, recovery starts from that file and scans forward
            // for the commit records in the log. Truncation always writes one.
            LogCommitManager = new DeviceLogCommitCheckpointManager(
                new LocalStorageNamedDeviceFactory(),
                new DefaultCheckpointNamingScheme(Path.Combine(dir, "commits")),
                removeOutdated: true,
                fastCommitThrottleFreq: CommitFileEvery),
            FastCommitMode = true,
            LogChecksum = LogChecksumType.PerEntry,
            TryRecoverLatest = true,
        });
    }

    /// <summary>Commits per commit-metadata file (the first commit always writes one).</summary>
    private const int CommitFileEvery = 1024;

    public long TailAddress => _log.TailAddress;

    public long BeginAddress => _log.BeginAddress;

    /// <summary>True once a prefix of the log has been dropped (after a checkpoint).</summary>
    public bool IsTruncated => _log.BeginAddress > FirstAddress;

    private const long FirstAddress = 64; // FASTER's first valid log address

    /// <summary>
    /// Largest entry written as one log record. FasterLog cannot hold a record larger than a page, so
    /// bigger entries (a txn or a delete touching many keys) are split into parts: each part is a
    /// record opening with <see cref="PartMarker"/> and a "more follows" flag. Parts of one entry are
    /// enqueued back to back under the store's write lock and become durable in the same commit; an
    /// entry whose last part never reached the disk was never acknowledged, and replay drops it.
    /// </summary>
    internal const int MaxRecordBytes = 1 << 20;

    /// <summary>First byte of a part record; no <see cref="WalEntryType"/> has this value.</summary>
    private const byte PartMarker = 0xFE;

    public long Append<T>(T entry)
        where T : ILogEnqueueEntry
    {
        if (entry.SerializedLength <= MaxRecordBytes)
        {
            return _log.Enqueue(entry);
        }

        var bytes = new byte[entry.SerializedLength];
        entry.SerializeTo(bytes);
        long address = 0;
        const int payload = MaxRecordBytes - 2;
        for (int offset = 0; offset < bytes.Length; offset += payload)
        {
            int n = Math.Min(payload, bytes.Length - offset);
            var part = new byte[n + 2];
            part[0] = PartMarker;
            part[1] = offset + n < bytes.Length ? (byte)1 : (byte)0;
            bytes.AsSpan(offset, n).CopyTo(part.AsSpan(2));
            address = _log.Enqueue(part);
        }

        return address;
    }

    /// <summary>
    /// Makes every entry enqueued before the call durable. Blocks without spinning (FasterLog's
    /// spin-waiting commit, and Task.Wait's spin phase, would burn CPU for the whole fsync on a machine
    /// that may have two cores). One caller at a time: the store's committer thread.
    /// </summary>
    public void Commit() => EndCommit(BeginCommit());

    /// <summary>
    /// Starts making every entry enqueued so far durable; <see cref="EndCommit"/> waits for it. The flush's own
    /// duration (start to completion, whatever the caller does meanwhile) goes to etcd_disk_wal_fsync_duration_seconds.
    /// </summary>
    public Task BeginCommit()
    {
        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        var commit = _log.CommitAsync().AsTask();
        commit.ContinueWith(
            static (_, s) => KvMetrics.WalFsync.Record(System.Diagnostics.Stopwatch.GetElapsedTime((long)s!).TotalSeconds),
            started, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously | TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return commit;
    }

    /// <summary>Waits, without spinning, for a commit started by <see cref="BeginCommit"/>.</summary>
    public void EndCommit(Task commit)
    {
        if (!commit.IsCompleted)
        {
            _committed.Reset();
            commit.ConfigureAwait(false).GetAwaiter().UnsafeOnCompleted(_committed.Set);
            _committed.Wait();
        }

        commit.GetAwaiter().GetResult();
    }

    /// <summary>Committed entries from <paramref name="from"/> on, in order.</summary>
    public IEnumerable<byte[]> ReadFrom(long from)
    {
        long start = Math.Max(from, _log.BeginAddress);
        using var iter = _log.Scan(start, _log.CommittedUntilAddress);
        List<byte[]>? parts = null;
        while (iter.GetNext(out byte[] entry, out int length, out _))
        {
            var record = length == entry.Length ? entry : entry[..length];
            if (record.Length < 2 || record[0] != PartMarker)
            {
                parts = null; // An unfinished split entry before this one was never acknowledged.
                yield return record;
                continue;
            }

            (parts ??= []).Add(record);
            if (record[1] == 0)
            {
                yield return Join(parts);
                parts = null;
            }
        }
    }

    private static byte[] Join(List<byte[]> parts)
    {
        var whole = new byte[parts.Sum(p => p.Length - 2)];
        int at = 0;
        foreach (var p in parts)
        {
            p.AsSpan(2).CopyTo(whole.AsSpan(at));
            at += p.Length - 2;
        }

        return whole;
    }

    /// <summary>Drops the entries before <paramref name="address"/>; takes effect on disk at the next commit.</summary>
    public void TruncateUntil(long address) => _log.TruncateUntil(address);

    public void Dispose()
    {
        _log.Dispose();
        _device.Dispose();
        _committed.Dispose();
    }
}
