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
    private List<(long Revision, List<Event> Events)> _unpublished = [];
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
        _recordBuffer.Clear();
        var b = new WriteBatch(_applied + 1, _recordBuffer);
        var result = body(this, b, state);
        if (appliedIndex > _appliedIndex)
        {
            Volatile.Write(ref _appliedIndex, appliedIndex);
        }

        if (b.RecordCount > 0)
        {
            _wal.Append(new WalWrite(appliedIndex, b.Rev, b.RevokedLease, _recordBuffer));
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

    /// <summary>The records of the revision being applied (see <see cref="RecordBuffer"/>). Guarded by _writeLock.</summary>
    private readonly RecordBuffer _recordBuffer = new();

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
            List<(long Revision, List<Event> Events)> published;
            long target;
            bool stop;
            bool flush;
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
            }

            try
            {
                if (_options.Sync || stop || flush)
                {
                    long started = System.Diagnostics.Stopwatch.GetTimestamp();
                    _wal.Commit();
                    KvMetrics.WalFsync.Record(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
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
