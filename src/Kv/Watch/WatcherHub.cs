using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Watch;

/// <summary>
/// Fans committed revisions out to watchers, as etcd's watchableStore does.
/// <list type="bullet">
/// <item>Synced watchers have seen every revision up to the published one and get each new revision
/// as it is published (<see cref="Publish"/>, called in revision order by the committer).</item>
/// <item>Unsynced watchers started in the past or fell behind (their buffer was full). A background
/// loop reads the history they miss from the store in one batch for all of them, delivers it whole
/// revision by whole revision while their buffers have room, and moves a watcher back to synced
/// once it reaches the published revision.</item>
/// </list>
/// Invariant (under <c>_lock</c>): a watcher is in exactly one group; a synced watcher has received
/// every revision up to <c>_published</c> (its <see cref="Watcher.NextRevision"/> is only kept up to
/// date once it leaves the synced group: publishing does not touch the watchers a revision does not
/// concern). Hence no gap and no duplicate.
/// </summary>
internal sealed class WatcherHub : IDisposable
{
    private const int MaxEventsPerResponse = 1000;
    private const int MaxRevisionsPerSync = 1000;

    private readonly object _lock = new();
    private readonly WatcherGroup _synced = new();
    private readonly HashSet<Watcher> _unsynced = [];
    private readonly IEventSource _source;
    private readonly int _bufferSize;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _syncLoop;
    private long _published;
    private long _nextId;

    private readonly Action<Exception>? _onError;

    public WatcherHub(IEventSource source, long publishedRevision, int bufferSize = 128, Action<Exception>? onError = null)
    {
        _onError = onError;
        _source = source;
        _published = publishedRevision;
        _bufferSize = bufferSize;
        _syncLoop = Task.Run(SyncLoopAsync);
    }

    /// <summary>Watchers open (synced and unsynced): etcd's etcd_debugging_mvcc_watcher_total.</summary>
    public int Count
    {
        get
        {
            lock (_lock) { return _synced.Count + _unsynced.Count; }
        }
    }

    public int UnsyncedCount
    {
        get
        {
            lock (_lock) { return _unsynced.Count; }
        }
    }

    public Watcher Add(WatchRequest request)
    {
        Watcher w;
        lock (_lock)
        {
            w = new Watcher(++_nextId, request, this, _bufferSize);
            long compact = _source.CompactRevision;
            if (request.StartRevision > 0 && request.StartRevision < compact)
            {
                w.Close(Cancelled(compact));
                return w;
            }

            if (request.StartRevision <= 0 || request.StartRevision > _published)
            {
                w.NextRevision = Math.Max(request.StartRevision, _published + 1);
                if (w.NextRevision == _published + 1)
                {
                    _synced.Add(w);
                }
                else
                {
                    // Starts in the future: it waits in the unsynced group until the store gets there.
                    _unsynced.Add(w);
                }

                return w;
            }

            w.NextRevision = request.StartRevision;
            _unsynced.Add(w);
        }

        _wake.Release();
        return w;
    }

    /// <summary>Delivers one committed revision to the synced watchers. Called in revision order.</summary>
    /// <summary>
    /// True when a watcher is open (a hint read without the lock: the writer asks it as it applies a revision, and
    /// builds the revision's events only if so; a watcher opening meanwhile is handled by <see cref="Publish"/>).
    /// </summary>
    private static readonly List<Event> NoEvents = [];

    public bool HasWatchers => _synced.Count + _unsynced.Count > 0;

    /// <summary>
    /// Delivers a newly durable revision to the synced watchers. <paramref name="events"/> is null when no watcher
    /// was open as the revision was applied: a watcher that has opened since is synced up to the revision before,
    /// so it leaves the synced group and the sync loop reads this revision from the store for it.
    /// </summary>
    public void Publish(long revision, List<Event>? events)
    {
        bool fellBehind = false;
        lock (_lock)
        {
            if (events is null)
            {
                if (_synced.Count > 0)
                {
                    foreach (var w in _synced.All.ToList())
                    {
                        w.NextRevision = revision;
                        _synced.Remove(w);
                        _unsynced.Add(w);
                    }

                    fellBehind = true;
                }

                events = NoEvents;
            }

            _published = revision;
            List<Watcher>? behind = null;
            bool prevFilled = false;
            var candidates = _synced.Candidates(events);
            for (int i = 0; i < candidates.Count; i++)
            {
                var w = candidates[i];
                if (w.Request.PrevKv && !prevFilled)
                {
                    // Writers skip reading previous values; fetch them once per revision for prev_kv watchers.
                    FillPrevKv(revision, events);
                    prevFilled = true;
                }

                var picked = w.Select(events);
                if (picked is not null && !w.TryDeliver(new WatchResponse(revision, picked)))
                {
                    (behind ??= []).Add(w);
                }
            }

            if (behind is not null)
            {
                foreach (var w in behind)
                {
                    // It has everything before this revision, not this one: the sync loop resends from here.
                    w.NextRevision = revision;
                    _synced.Remove(w);
                    _unsynced.Add(w);
                }

                fellBehind = true;
            }

            // Watchers that started in the future join once the store reaches their start.
            if (_unsynced.Count > 0)
            {
                fellBehind = true;
            }
        }

        if (fellBehind)
        {
            _wake.Release();
        }
    }

    private void FillPrevKv(long revision, List<Event> events)
    {
        for (int i = 0; i < events.Count; i++)
        {
            var e = events[i];
            if (e.PrevKv is null && (e.Type == EventType.Delete || e.Kv.Version > 1))
            {
                events[i] = e with { PrevKv = _source.PrevKv(e.Kv.Key, revision - 1) };
            }
        }
    }

    public bool RequestProgress(Watcher w)
    {
        lock (_lock)
        {
            return _synced.Contains(w) && w.TryDeliver(new WatchResponse(_published, []));
        }
    }

    /// <summary>Sends a progress notification to every synced watcher that asked for them (etcd's progress_notify).</summary>
    public void NotifyProgress()
    {
        lock (_lock)
        {
            foreach (var w in _synced.All)
            {
                if (w.Request.ProgressNotify)
                {
                    w.TryDeliver(new WatchResponse(_published, []));
                }
            }
        }
    }

    public void Remove(Watcher w)
    {
        lock (_lock)
        {
            _synced.Remove(w);
            _unsynced.Remove(w);
            w.Close(null);
        }
    }

    /// <summary>Wakes the sync loop (after a compaction, or when a consumer drained its buffer).</summary>
    public void Kick() => _wake.Release();

    public void Dispose()
    {
        _stop.Cancel();
        _wake.Release();
        try
        {
            _syncLoop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // The loop ends by cancellation.
        }

        lock (_lock)
        {
            foreach (var w in _synced.All.Concat(_unsynced))
            {
                w.Close(null);
            }

            _synced.Clear();
            _unsynced.Clear();
        }
    }

    private static WatchResponse Cancelled(long compact) =>
        new(compact, []) { Canceled = true, CompactRevision = compact, CancelReason = "etcdserver: mvcc: required revision has been compacted" };

    private async Task SyncLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            // Poll as well as wait: a slow consumer that drains its buffer does not signal us.
            await _wake.WaitAsync(TimeSpan.FromMilliseconds(50)).ConfigureAwait(false);
            try
            {
                while (!_stop.IsCancellationRequested && SyncOnce())
                {
                }
            }
            catch (KvException e) when (e.Code == KvErrorCode.Compacted)
            {
                // A compaction raced the history read; the next round cancels the watchers it strands.
            }
            catch (Exception e) when (e is not OperationCanceledException && !_stop.IsCancellationRequested)
            {
                // Never let the loop die: unsynced watchers would stall forever. Retry after the poll delay.
                _onError?.Invoke(e);
            }
        }
    }

    /// <summary>One round of catching up; returns true when more can be done right away.</summary>
    internal bool SyncOnce()
    {
        long from, to, published;
        bool needPrev;
        List<Watcher> pending;
        lock (_lock)
        {
            published = _published;
            long compact = _source.CompactRevision;
            foreach (var w in _unsynced.Where(w => w.NextRevision < compact).ToList())
            {
                _unsynced.Remove(w);
                w.Close(Cancelled(compact));
            }

            foreach (var w in _unsynced.Where(w => w.NextRevision == published + 1).ToList())
            {
                _unsynced.Remove(w);
                _synced.Add(w);
            }

            pending = [.. _unsynced.Where(w => w.NextRevision <= published)];
            if (pending.Count == 0)
            {
                return false;
            }

            from = pending.Min(w => w.NextRevision);
            to = Math.Min(published, from + MaxRevisionsPerSync - 1);
            needPrev = pending.Any(w => w.Request.PrevKv);
        }

        var history = _source.ReadEvents(from, to, needPrev);
        bool progressed = false;
        lock (_lock)
        {
            foreach (var w in pending)
            {
                if (!_unsynced.Contains(w))
                {
                    continue;
                }

                progressed |= Deliver(w, history, to);
                if (w.NextRevision == _published + 1)
                {
                    _unsynced.Remove(w);
                    _synced.Add(w);
                }
            }
        }

        return progressed && to < published;
    }

    /// <summary>Delivers history in whole revisions while the buffer has room; advances NextRevision.</summary>
    private static bool Deliver(Watcher w, List<(long Revision, List<Event> Events)> history, long to)
    {
        bool progressed = false;
        var batch = new List<Event>();
        long batchEnd = 0;
        foreach (var (rev, events) in history)
        {
            if (rev < w.NextRevision)
            {
                continue;
            }

            var picked = w.Select(events);
            if (picked is not null)
            {
                if (batch.Count > 0 && batch.Count + picked.Count > MaxEventsPerResponse)
                {
                    if (!w.TryDeliver(new WatchResponse(batchEnd, batch)))
                    {
                        return progressed;
                    }

                    w.NextRevision = batchEnd + 1;
                    progressed = true;
                    batch = [];
                }

                batch.AddRange(picked);
            }

            batchEnd = rev;
        }

        if (batch.Count > 0)
        {
            if (!w.TryDeliver(new WatchResponse(batchEnd, batch)))
            {
                return progressed;
            }

            progressed = true;
        }

        // Every revision up to 'to' is now delivered (revisions without matching events included).
        if (w.NextRevision <= to)
        {
            w.NextRevision = to + 1;
            progressed = true;
        }

        return progressed;
    }
}
