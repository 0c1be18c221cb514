using System.Text.Json.Nodes;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace KvCluster.ApiServer.Storage;

public enum WatchEventType { Added, Modified, Deleted, Bookmark }

/// <summary>
/// One event of a resource's watch cache. <see cref="Item"/> is shared by every client watch;
/// <see cref="OldItem"/> is the object before the change (null for ADDED), so a client watch with a
/// selector can turn a change into ADDED or DELETED as the object enters or leaves it.
/// </summary>
public sealed class CacheEvent(WatchEventType type, string key, CachedObject? item, CachedObject? oldItem, long revision)
{
    private readonly byte[]?[] _encoded = new byte[]?[4];

    public WatchEventType Type => type;

    public string Key => key;

    public CachedObject? Item => item;

    public CachedObject? OldItem => oldItem;

    public long Revision => revision;

    public JsonObject? Object => item?.Object;

    public JsonObject? Old => oldItem?.Object;

    /// <summary>
    /// The event encoded for the wire from the object's served bytes, once per event type however many
    /// watches send it (a watch with a selector may see this change as ADDED or DELETED instead).
    /// </summary>
    public byte[] Encoded(WatchEventType eventType, Func<WatchEventType, byte[], byte[]> encode)
    {
        var slot = (int)eventType;
        return Volatile.Read(ref _encoded[slot]) ?? Interlocked.CompareExchange(ref _encoded[slot], encode(eventType, item!.Served), null) ?? _encoded[slot]!;
    }
}

/// <summary>
/// kube-apiserver's cacher for one storage prefix: lists the store once, then follows one store watch,
/// keeping every current object and a window of recent events in memory. Lists at resourceVersion=0
/// and every client watch are served from here, so N clients cost one store watch.
/// </summary>
public sealed class WatchCache : IAsyncDisposable
{
    private readonly IObjectStore _store;
    private readonly string _prefix;
    private readonly int _window;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly object _lock = new();
    private readonly SortedDictionary<string, CachedObject> _objects = new(StringComparer.Ordinal);
    private readonly Queue<CacheEvent> _events = new();
    private readonly List<Subscription> _subscriptions = [];
    private readonly List<(long Revision, TaskCompletionSource Fresh)> _freshWaiters = [];
    private long _revision;
    private long _windowStart;
    private Task _loop = Task.CompletedTask;
    private IStoreWatch? _watch;

    public WatchCache(IObjectStore store, string prefix, int window, ILogger log)
    {
        _store = store;
        _prefix = prefix;
        _window = window;
        _log = log;
    }

    /// <summary>The newest revision the cache has caught up with.</summary>
    public long Revision
    {
        get
        {
            lock (_lock)
            {
                return _revision;
            }
        }
    }

    public void Start() => _loop = Task.Run(() => RunAsync(_stop.Token));

    public Task WaitReadyAsync(CancellationToken ct) => _ready.Task.WaitAsync(ct);

    /// <summary>Every current object (shared: do not change them) and the revision they are current at.</summary>
    public async Task<(long Revision, List<CachedObject> Items)> ListAsync(string prefix, CancellationToken ct)
    {
        await WaitReadyAsync(ct);
        lock (_lock)
        {
            var items = new List<CachedObject>();
            foreach (var (key, obj) in _objects)
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    items.Add(obj);
                }
            }

            return (_revision, items);
        }
    }

    /// <summary>The cached object under <paramref name="key"/> (shared: do not change it), or null.</summary>
    public JsonObject? TryGet(string key)
    {
        lock (_lock)
        {
            return _objects.GetValueOrDefault(key)?.Object;
        }
    }

    /// <summary>
    /// A client watch. From revision 0: ADDED for every current object, then the changes. From revision
    /// R: every change after R — 410 Expired when R is older than the window.
    /// </summary>
    public async Task<ChannelReader<CacheEvent>> SubscribeAsync(long fromRevision, bool bookmarks, CancellationToken ct)
    {
        await WaitFreshAsync(fromRevision, ct);

        var channel = Channel.CreateBounded<CacheEvent>(new BoundedChannelOptions(4096) { SingleReader = true });
        lock (_lock)
        {
            if (fromRevision > _revision)
            {
                throw new Registry.ApiException(504, "Timeout", $"Too large resource version: {fromRevision}, current: {_revision}");
            }

            if (fromRevision == 0)
            {
                foreach (var (key, obj) in _objects)
                {
                    channel.Writer.TryWrite(new CacheEvent(WatchEventType.Added, key, obj, null, _revision));
                }
            }
            else if (fromRevision < _windowStart)
            {
                throw Registry.ApiException.Expired($"too old resource version: {fromRevision} ({_windowStart})");
            }
            else
            {
                foreach (var e in _events)
                {
                    if (e.Revision > fromRevision && !channel.Writer.TryWrite(e))
                    {
                        throw Registry.ApiException.Expired($"too old resource version: {fromRevision} ({_windowStart})");
                    }
                }
            }

            _subscriptions.Add(new Subscription(channel.Writer, bookmarks, ct));
        }

        ct.Register(() => Unsubscribe(channel.Writer));
        return channel.Reader;
    }

    /// <summary>
    /// Waits (at most 3 s, as kube-apiserver's cacher) until the cache has seen everything up to
    /// <paramref name="revision"/>; false when it has not by then. A revision from a consistent read is
    /// the store's, often past the last change under this prefix: a progress request (sent at once, and
    /// again every 100 ms) tells the cache that nothing is missing, so the wait is one round trip.
    /// </summary>
    public async Task<bool> WaitFreshAsync(long revision, CancellationToken ct)
    {
        await WaitReadyAsync(ct);
        TaskCompletionSource fresh;
        lock (_lock)
        {
            if (_revision >= revision)
            {
                return true;
            }

            fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _freshWaiters.Add((revision, fresh));
        }

        var deadline = DateTime.UtcNow.AddSeconds(3);
        while (!fresh.Task.IsCompleted && DateTime.UtcNow < deadline)
        {
            if (Volatile.Read(ref _watch) is { } watch)
            {
                try
                {
                    await watch.RequestProgressAsync(ct);
                }
                catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException or Grpc.Core.RpcException)
                {
                    // The store watch is restarting; the next round asks the new one.
                }
            }

            await Task.WhenAny(fresh.Task, Task.Delay(100, ct));
            ct.ThrowIfCancellationRequested();
        }

        lock (_lock)
        {
            _freshWaiters.Remove((revision, fresh));
            return _revision >= revision;
        }
    }

    /// <summary>Wakes the waiters the cache's revision has reached (under the lock).</summary>
    private void WakeFreshWaiters()
    {
        for (var i = _freshWaiters.Count - 1; i >= 0; i--)
        {
            if (_freshWaiters[i].Revision <= _revision)
            {
                _freshWaiters[i].Fresh.TrySetResult();
                _freshWaiters.RemoveAt(i);
            }
        }
    }

    /// <summary>Sends a BOOKMARK at the cache's revision to every watch that asked for bookmarks.</summary>
    public void SendBookmarks()
    {
        lock (_lock)
        {
            foreach (var s in _subscriptions.Where(s => s.Bookmarks))
            {
                s.Writer.TryWrite(new CacheEvent(WatchEventType.Bookmark, "", null, null, _revision));
            }
        }
    }

    private void Unsubscribe(ChannelWriter<CacheEvent> writer)
    {
        lock (_lock)
        {
            _subscriptions.RemoveAll(s => s.Writer == writer);
        }

        writer.TryComplete();
    }

    private async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var from = await LoadAsync(ct);
                await using var watch = _store.Watch(_prefix, from);
                Volatile.Write(ref _watch, watch);
                _ready.TrySetResult();
                await foreach (var e in watch.ReadAllAsync(ct))
                {
                    Apply(e);
                }
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                // Shutting down (a remote watch ends with a cancelled RPC, not an OperationCanceledException).
                return;
            }
            catch (Exception e)
            {
                // A compaction past the cache or a lost store connection: relist. Client watches end
                // and resume from their last revision, as with kube-apiserver.
                ApiServerLog.WatchCacheRestart(_log, _prefix, e.Message);
                CloseSubscriptions();
                await Task.Delay(500, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    /// <summary>Lists the prefix; returns the revision the store watch starts from.</summary>
    private async Task<long> LoadAsync(CancellationToken ct)
    {
        var list = await _store.ListAsync(_prefix, 0, null, 0, ct);
        lock (_lock)
        {
            _objects.Clear();
            _events.Clear();
            foreach (var item in list.Items)
            {
                _objects[item.Key] = new CachedObject(item.Value, item.ModRevision);
            }

            _revision = list.Revision;
            _windowStart = list.Revision;
            WakeFreshWaiters();
        }

        return list.Revision + 1;
    }

    private void Apply(StoreEvent e)
    {
        lock (_lock)
        {
            if (e.Type == StoreEventType.Progress)
            {
                _revision = Math.Max(_revision, e.Revision);
                WakeFreshWaiters();
                return;
            }

            _objects.TryGetValue(e.Key, out var old);
            CacheEvent ce;
            if (e.Type == StoreEventType.Delete)
            {
                _objects.Remove(e.Key);
                var gone = (old ?? new CachedObject(e.Value, e.Revision)).At(e.Revision);
                ce = new CacheEvent(WatchEventType.Deleted, e.Key, gone, old, e.Revision);
            }
            else
            {
                var obj = new CachedObject(e.Value, e.Revision);
                _objects[e.Key] = obj;
                ce = new CacheEvent(old is null ? WatchEventType.Added : WatchEventType.Modified, e.Key, obj, old, e.Revision);
            }

            _revision = e.Revision;
            WakeFreshWaiters();
            _events.Enqueue(ce);
            while (_events.Count > _window)
            {
                _windowStart = _events.Dequeue().Revision;
            }

            for (var i = _subscriptions.Count - 1; i >= 0; i--)
            {
                if (!_subscriptions[i].Writer.TryWrite(ce))
                {
                    // Too slow to keep up: end its watch; the client resumes from its last revision.
                    _subscriptions[i].Writer.TryComplete();
                    _subscriptions.RemoveAt(i);
                }
            }
        }
    }

    private void CloseSubscriptions()
    {
        lock (_lock)
        {
            foreach (var s in _subscriptions)
            {
                s.Writer.TryComplete();
            }

            _subscriptions.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        CloseSubscriptions();
        _stop.Dispose();
    }

    private sealed record Subscription(ChannelWriter<CacheEvent> Writer, bool Bookmarks, CancellationToken Token);
}
