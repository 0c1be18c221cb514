namespace KvCluster.Controllers.Scheduler;

/// <summary>
/// kube-scheduler's scheduling queue, in small: an active FIFO without duplicates, and the pods found
/// unschedulable, which go back to active when the cluster changes (a node added or updated, a pod leaving
/// a node) once their back-off (1 s, doubling to 10 s) is over, or after 5 minutes whatever happens.
/// </summary>
internal sealed class SchedulingQueue(TimeProvider time)
{
    public static readonly TimeSpan InitialBackoff = TimeSpan.FromSeconds(1);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(10);
    public static readonly TimeSpan MaxUnschedulable = TimeSpan.FromMinutes(5);

    private readonly object _lock = new();
    private readonly LinkedList<string> _active = new();
    private readonly HashSet<string> _queued = [];
    private readonly Dictionary<string, (DateTimeOffset Since, DateTimeOffset Until, int Attempts, bool Moved)> _unschedulable = [];
    private readonly Dictionary<string, int> _attempts = [];
    private readonly SemaphoreSlim _ready = new(0);

    public int ActiveCount
    {
        get
        {
            lock (_lock)
            {
                return _active.Count;
            }
        }
    }

    public int UnschedulableCount
    {
        get
        {
            lock (_lock)
            {
                return _unschedulable.Count;
            }
        }
    }

    /// <summary>A pod to schedule (new, or changed): straight to active.</summary>
    public void Add(string key)
    {
        lock (_lock)
        {
            _unschedulable.Remove(key);
            Enqueue(key);
        }
    }

    /// <summary>The pod is gone or scheduled: forget it.</summary>
    public void Forget(string key)
    {
        lock (_lock)
        {
            _unschedulable.Remove(key);
            _attempts.Remove(key);
            if (_queued.Remove(key))
            {
                _active.Remove(key);
            }
        }
    }

    /// <summary>No node fits (or the bind failed): wait for a change in the cluster, and for the back-off.</summary>
    public void Unschedulable(string key)
    {
        lock (_lock)
        {
            int attempts = _attempts[key] = _attempts.GetValueOrDefault(key) + 1;
            var backoff = TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, InitialBackoff.Ticks << Math.Min(attempts - 1, 16)));
            var now = time.GetUtcNow();
            _unschedulable[key] = (now, now + backoff, attempts, false);
        }
    }

    /// <summary>Something changed that may let unschedulable pods fit: they move once their back-off is over.</summary>
    public void ClusterChanged()
    {
        lock (_lock)
        {
            foreach (var key in _unschedulable.Keys.ToList())
            {
                _unschedulable[key] = _unschedulable[key] with { Moved = true };
            }

            Flush();
        }
    }

    /// <summary>Moves the unschedulable pods that are due to active; the scheduler calls it about every second.</summary>
    public void Flush()
    {
        lock (_lock)
        {
            var now = time.GetUtcNow();
            foreach (var (key, state) in _unschedulable.ToList())
            {
                if (now >= state.Until && (state.Moved || now - state.Since >= MaxUnschedulable))
                {
                    _unschedulable.Remove(key);
                    Enqueue(key);
                }
            }
        }
    }

    /// <summary>The next pod to schedule; waits for one.</summary>
    public async Task<string> NextAsync(TimeSpan wait, CancellationToken ct)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_active.First is { } first)
                {
                    _active.RemoveFirst();
                    _queued.Remove(first.Value);
                    return first.Value;
                }
            }

            if (!await _ready.WaitAsync(wait, ct))
            {
                return "";
            }
        }
    }

    private void Enqueue(string key)
    {
        if (_queued.Add(key))
        {
            _active.AddLast(key);
            _ready.Release();
        }
    }
}
