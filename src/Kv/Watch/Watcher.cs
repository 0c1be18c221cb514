using System.Threading.Channels;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Watch;

/// <summary>
/// One watch. Its responses wait in a bounded buffer; when the consumer falls behind and the buffer
/// fills, the hub moves the watcher to the unsynced group and later refills it from the store, so a
/// slow consumer neither blocks writers nor loses events.
/// </summary>
public sealed class Watcher : IDisposable
{
    private readonly Channel<WatchResponse> _buffer;
    private readonly WatcherHub _hub;

    internal Watcher(long id, WatchRequest request, WatcherHub hub, int bufferSize)
    {
        Id = id;
        Request = request;
        Range = new KeyRange(request.Key, request.RangeEnd);
        _hub = hub;
        _buffer = Channel.CreateBounded<WatchResponse>(new BoundedChannelOptions(bufferSize)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public long Id { get; }

    public WatchRequest Request { get; }

    public ChannelReader<WatchResponse> Responses => _buffer.Reader;

    internal KeyRange Range { get; }

    /// <summary>The next revision this watcher must receive. Guarded by the hub's lock.</summary>
    internal long NextRevision { get; set; }

    internal bool Closed { get; private set; }

    /// <summary>Asks for a progress notification; false when the watcher is catching up (none is sent then).</summary>
    public bool RequestProgress() => _hub.RequestProgress(this);

    public void Dispose() => _hub.Remove(this);

    /// <summary>The events of one revision this watcher wants, prev_kv stripped unless asked for.</summary>
    internal List<Event>? Select(List<Event> events)
    {
        List<Event>? picked = null;
        foreach (var e in events)
        {
            if ((e.Type == EventType.Put && Request.NoPut) || (e.Type == EventType.Delete && Request.NoDelete) || !Range.Contains(e.Kv.Key))
            {
                continue;
            }

            (picked ??= []).Add(Request.PrevKv || e.PrevKv is null ? e : e with { PrevKv = null });
        }

        return picked;
    }

    internal bool TryDeliver(WatchResponse response) => !Closed && _buffer.Writer.TryWrite(response);

    internal void Close(WatchResponse? last)
    {
        if (Closed)
        {
            return;
        }

        Closed = true;
        if (last is not null)
        {
            // The final cancel must get through even to a full buffer: it is the one message allowed past the bound.
            if (!_buffer.Writer.TryWrite(last))
            {
                _ = _buffer.Writer.WriteAsync(last).AsTask().ContinueWith(_ => _buffer.Writer.TryComplete(), TaskScheduler.Default);
                return;
            }
        }

        _buffer.Writer.TryComplete();
    }
}
