using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Mvcc;

public sealed partial class MvccStore
{
    private readonly Thread _committer;
    // Set (under _writeLock) when a commit is requested, reset by the committer when it takes the round.
    // No spinning before it blocks: spinning threads cost more than they save on a two-core machine.
    private readonly ManualResetEventSlim _commitSignal = new(false, spinCount: 0);
    private TaskCompletionSource _round = NewRound();
    // The round the committer is flushing now (completed when no round has run yet).
    private TaskCompletionSource _flushing = Completed();
    private List<(long Revision, List<Event>? Events)> _unpublished = [];
    private bool _commitRequested;
    private bool _flushRequested;
    private bool _stopCommitter;
    private Exception? _fatal;

    /// <summary>Commit rounds completed (each is one WAL flush); for metrics and benchmarks.</summary>
    public long CommitRounds { get; private set; }

    private static TaskCompletionSource NewRound() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static TaskCompletionSource Completed()
    {
        var done = NewRound();
        done.SetResult();
        return done;
    }

    private void CheckWritable()
    {
        ThrowIfDisposed();
        if (_fatal is not null)
        {
            throw new IOException("the store stopped after a write-ahead log failure", _fatal);
        }
    }

    /// <summary>
    /// Applies one write request: it takes revision <c>_applied + 1</c> if it changes anything. The body
    /// must validate before it changes anything: once it has called Upsert, it must not throw.
    /// <paramref name="state"/> is passed to <paramref name="body"/>, so that a static body allocates no closure.
    /// </summary>
    private T ApplyLocked<TState, T>(long appliedIndex, TState state, Func<MvccStore, WriteBatch, TState, T> body)
    {
        _pendingRecords.BeginRevision();
        var b = _batch;
        b.Begin(_applied + 1, _pendingRecords, watched: _hub?.HasWatchers ?? true);
        var result = body(this, b, state);
        if (appliedIndex > _appliedIndex)
        {
            Volatile.Write(ref _appliedIndex, appliedIndex);
        }

        if (b.RecordCount > 0)
        {
            _wal.Append(new WalWrite(appliedIndex, b.Rev, b.RevokedLease, _pendingRecords));
            RequestCommit();
            _applied = b.Rev;
            _unpublished.Add((b.Rev, b.Events));
        }
        else if (ToWalEntry(b, appliedIndex) is { } entry)
        {
            _wal.Append(entry);
            RequestCommit();
        }

        return result;
    }

    /// <summary>The request being applied (reused: see <see cref="WriteBatch"/>). Guarded by _writeLock.</summary>
    private readonly WriteBatch _batch = new(0);

    /// <summary>
    /// Records applied since the committer last took them, not yet in FASTER (see <see cref="PendingRecords"/>).
    /// Guarded by _writeLock; the committer swaps it for <see cref="_spareRecords"/> when it takes a round.
    /// </summary>
    private PendingRecords _pendingRecords = new();

    /// <summary>The committer's other buffer, empty, between rounds (null after a failed one). Only the committer touches it.</summary>
    private PendingRecords? _spareRecords = new();

    /// <summary>The records the committer is storing into FASTER now (set under _writeLock), or null.</summary>
    private PendingRecords? _storing;

    /// <summary>Set when the committer is not storing records (<see cref="_storing"/> is null).</summary>
    private readonly ManualResetEventSlim _stored = new(true, spinCount: 0);

    /// <summary>Every record of every revision up to this one is in FASTER. Never behind <see cref="_durable"/>.</summary>
    private long _storedThrough;

    /// <summary>
    /// Makes sure the record of revision <paramref name="main"/> is in FASTER before it is read. Revisions up to the
    /// durable one always are (the committer stores a round's records before it publishes them): only a write
    /// reading what it or the writes just before it applied (prev_kv, ignore_value, a txn's compares and ranges)
    /// can find one that is not, and it holds the write lock. Then every pending record is stored right away: the
    /// committer's current round first (waited for), then what the writer applied since.
    /// </summary>
    private void EnsureStored(long main)
    {
        if (main <= Volatile.Read(ref _storedThrough))
        {
            return;
        }

        if (!Monitor.IsEntered(_writeLock))
        {
            throw new InvalidOperationException($"revision {main} was read before it was stored, outside the write lock");
        }

        if (Volatile.Read(ref _storing) is not null)
        {
            _stored.Wait();
        }

        _pendingRecords.UpsertInto(_records);
        // The revision being applied may still add records: only the ones before it are complete.
        Volatile.Write(ref _storedThrough, Math.Max(Volatile.Read(ref _storedThrough), _applied));
    }

    /// <summary>
    /// The task to await before answering: the current commit round, if it has anything to flush or
    /// earlier writes are not durable yet (a response names the current revision, and a client must be
    /// able to read at it). Null when everything is durable already.
    /// </summary>
    /// <remarks>
    /// Without a commit requested, writes not yet durable are in the round being flushed: wait for that
    /// one. (The next round would only run when some later write asks for it: a write that changed
    /// nothing, such as a txn whose compare failed, hung until then.)
    /// </remarks>
    private Task? DurableLocked() =>
        _commitRequested ? _round.Task : _applied > Volatile.Read(ref _durable) ? _flushing.Task : null;

    /// <summary>The WAL entry of a request that wrote no record (see <see cref="ApplyLocked"/> for those that did), or null.</summary>
    private static WalEntry? ToWalEntry(WriteBatch b, long appliedIndex)
    {
        if (b.RevokedLease != 0)
        {
            return new WalEntry(WalEntryType.LeaseRevoke, appliedIndex) { LeaseId = b.RevokedLease };
        }

        if (b.GrantedLease is { } g)
        {
            return new WalEntry(WalEntryType.LeaseGrant, appliedIndex) { LeaseId = g.Id, LeaseTtl = g.Ttl };
        }

        return appliedIndex > 0 ? new WalEntry(WalEntryType.Write, appliedIndex) : null;
    }

    /// <summary>Appends an entry that changes no revision (compaction) and returns when it is durable.</summary>
    private Task AppendUnderLock(WalEntry entry)
    {
        _wal.Append(entry);
        RequestCommit();
        return _round.Task;
    }

    /// <summary>
    /// Makes every write applied so far durable in this store's own WAL, also when <see cref="StoreOptions.Sync"/>
    /// is off (a Raft member, whose log is durable first, calls it before it lets that log be dropped).
    /// </summary>
    public Task FlushAsync()
    {
        ThrowIfDisposed();
        lock (_writeLock)
        {
            _flushRequested = true;
            RequestCommit();
            return _round.Task;
        }
    }

    private void RequestCommit()
    {
        if (!_commitRequested)
        {
            _commitRequested = true;
            _commitSignal.Set();
        }
    }

    /// <summary>
    /// The group committer: takes everything enqueued so far, flushes the WAL once, then publishes the
    /// new revisions to readers and watchers, in order, and releases the writers of that round.
    /// </summary>
    private void CommitLoop()
    {
        while (true)
        {
            _commitSignal.Wait();
            TaskCompletionSource round;
            List<(long Revision, List<Event>? Events)> published;
            long target;
            bool stop;
            bool flush;
            PendingRecords records;
            lock (_writeLock)
            {
                _commitRequested = false;
                flush = _flushRequested;
                _flushRequested = false;
                _commitSignal.Reset();
                round = _round;
                _flushing = round;
                _round = NewRound();
                published = _unpublished;
                _unpublished = [];
                target = _applied;
                stop = _stopCommitter;
                records = _pendingRecords;
                _pendingRecords = _spareRecords ?? new();
                _spareRecords = null;
                _stored.Reset();
                Volatile.Write(ref _storing, records);
            }

            try
            {
                // The WAL flush starts first; the round's records go into FASTER while it is in flight.
                var flushing = _options.Sync || stop || flush ? _wal.BeginCommit() : null;
                try
                {
                    records.UpsertInto(_records);
                    Volatile.Write(ref _storedThrough, Math.Max(Volatile.Read(ref _storedThrough), target));
                }
                finally
                {
                    Volatile.Write(ref _storing, null);
                    _stored.Set();
                }

                records.Reset();
                _spareRecords = records;
                if (flushing is not null)
                {
                    _wal.EndCommit(flushing);
                }
            }
            catch (Exception e)
            {
                KvLog.WalFailed(_options.Logger, e);
                // A log that cannot be flushed cannot promise durability: fail this round and every later write.
                lock (_writeLock)
                {
                    _fatal = e;
                }

                round.TrySetException(e);
                continue;
            }

            CommitRounds++;
            KvMetrics.CommitBatch.Record(published.Count);
            foreach (var (rev, events) in published)
            {
                Volatile.Write(ref _durable, rev);
                _hub?.Publish(rev, events);
            }

            Volatile.Write(ref _durable, Math.Max(Volatile.Read(ref _durable), target));
            round.TrySetResult();
            if (stop)
            {
                return;
            }
        }
    }

    private void StopCommitter()
    {
        lock (_writeLock)
        {
            _stopCommitter = true;
        }

        _commitSignal.Set();
        _committer.Join();
    }
}
