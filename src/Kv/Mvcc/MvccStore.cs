using KvCluster.Kv.Lease;
using KvCluster.Kv.Storage;
using KvCluster.Kv.Watch;

namespace KvCluster.Kv.Mvcc;

/// <summary>
/// The MVCC engine: an in-memory <see cref="TreeIndex"/> over revision-keyed records in FASTER,
/// a write-ahead log with group commit, watches and leases.
/// <para>
/// Writes are serialized by <c>_writeLock</c>: a write takes revision <c>_applied + 1</c>, updates the
/// index and FASTER, enqueues its WAL entry and waits for the committer to flush. Readers see
/// <see cref="Revision"/> = the newest durable revision, so nothing they read can be lost by a crash;
/// because the store is multi-version, reading "at the durable revision" hides later, unflushed writes
/// without any lock.
/// </para>
/// Split by concern: .Read (range, compares), .Write (put, delete, txn), .Commit (group commit, WAL),
/// .Compact, .Lease, .Recovery (open, checkpoint), .Snapshot (hash, snapshot, restore).
/// </summary>
public sealed partial class MvccStore : IWatchableKv, ILeases, IStoreMaintenance, IEventSource, IAsyncDisposable, IDisposable
{
    private readonly StoreOptions _options;
    private readonly TreeIndex _index = new();
    private readonly FasterRecordStore _records;
    private readonly WriteAheadLog _wal;
    private readonly Lessor _lessor;
    private readonly WatcherHub _hub;
    private readonly object _writeLock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _background = [];

    /// <summary>Newest revision applied by the writer (may not be durable yet). Guarded by _writeLock.</summary>
    private long _applied;

    /// <summary>Newest durable, published revision: what readers see.</summary>
    private long _durable;

    private long _compactRev;
    private long _appliedIndex;
    private bool _disposed;

    private MvccStore(StoreOptions options)
    {
        _options = options;
        Directory.CreateDirectory(options.DataDir);
        _records = new FasterRecordStore(Path.Combine(options.DataDir, "records"), options.Storage);
        _wal = new WriteAheadLog(Path.Combine(options.DataDir, "wal"));
        _lessor = new Lessor(options.Time, options.MinLeaseTtl);
        Recover();
        _hub = new WatcherHub(this, _durable, options.WatchBufferSize, e => KvLog.BackgroundFailed(options.Logger, "watch sync", e));
        _committer = new Thread(CommitLoop) { IsBackground = true, Name = "kv-committer" };
        _committer.Start();
        StartApplier();
        _background.Add(Task.Run(() => CheckpointLoopAsync(_stop.Token)));
        if (options.ExpireLeases)
        {
            _background.Add(Task.Run(() => LeaseExpiryLoopAsync(_stop.Token)));
        }

        _background.Add(Task.Run(() => ProgressNotifyLoopAsync(_stop.Token)));
    }

    /// <summary>Opens (or creates) the store in <see cref="StoreOptions.DataDir"/>, recovering its last durable state.</summary>
    public static MvccStore Open(StoreOptions options) => new(options);

    public long Revision => Volatile.Read(ref _durable);

    /// <summary>Where the store keeps its files.</summary>
    public string DataDir => _options.DataDir;

    public long CompactRevision => Volatile.Read(ref _compactRev);

    public long AppliedIndex => Volatile.Read(ref _appliedIndex);

    public Lessor Lessor => _lessor;

    /// <summary>Number of keys in the index (live or with history).</summary>
    public int IndexedKeys => _index.KeyCount;

    /// <summary>Bytes in FASTER's record log (what compaction reclaims).</summary>
    public long RecordLogBytes => _records.LogBytes;

    public Watcher Watch(WatchRequest request) => _hub.Add(request);

    public (int Total, int Slow) WatcherCounts => (_hub.Count, _hub.UnsyncedCount);

    internal WatcherHub Hub => _hub;

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    public async ValueTask DisposeAsync()
    {
        lock (_writeLock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
        }

        _stop.Cancel();
        try
        {
            await Task.WhenAll(_background).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Loops end by cancellation.
        }

        StopApplier();
        StopCommitter();
        _hub.Dispose();
        await CheckpointAsync(CancellationToken.None).ConfigureAwait(false);
        _wal.Dispose();
        _records.Dispose();
        _stop.Dispose();
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
