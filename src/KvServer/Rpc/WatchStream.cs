using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Auth;
using KvCluster.KvServer.Hosting;
using E = KvCluster.Kv.Watch;

namespace KvCluster.KvServer.Rpc;

/// <summary>
/// One client watch stream, as etcd's serverWatchStream: a receive loop (create, cancel, progress),
/// a pump per watch moving the engine's responses out, and one send loop writing them in order.
/// Watch ids are per stream, from 0. A watch's "created" answer is queued before its pump starts,
/// so no event can overtake it. Fragments of one response are written back to back.
/// </summary>
internal sealed class WatchStream : IAsyncDisposable
{
    /// <summary>etcd's clientv3.InvalidWatchID: the id of a stream-wide answer.</summary>
    private const long InvalidWatchId = -1;

    private readonly IWatchableKv _kv;
    private readonly LocalMember _member;
    private readonly AuthStore _auth;
    private readonly string? _user;
    private readonly int _maxBytes;
    private readonly IServerStreamWriter<WatchResponse> _writer;
    private readonly CancellationTokenSource _stop;
    private readonly Channel<WatchResponse> _out = Channel.CreateBounded<WatchResponse>(new BoundedChannelOptions(1024) { SingleReader = true });
    private readonly ConcurrentDictionary<long, Entry> _watches = new();
    private readonly Task _sendLoop;
    private long _nextId;
    private int _progressPending;
    private long _progressRevision;

    public WatchStream(IWatchableKv kv, LocalMember member, AuthStore auth, string? user, int maxBytes, IServerStreamWriter<WatchResponse> writer, CancellationToken ct)
    {
        _kv = kv;
        _member = member;
        _auth = auth;
        _user = user;
        _maxBytes = maxBytes;
        _writer = writer;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        _sendLoop = SendLoopAsync(_stop.Token);
    }

    private sealed record Entry(E.Watcher Watcher, bool Fragment)
    {
        public Task Pump { get; set; } = Task.CompletedTask;
    }

    public async Task RunAsync(IAsyncStreamReader<WatchRequest> requests)
    {
        try
        {
            await foreach (var request in requests.ReadAllAsync(_stop.Token))
            {
                switch (request.RequestUnionCase)
                {
                    case WatchRequest.RequestUnionOneofCase.CreateRequest:
                        await CreateAsync(request.CreateRequest);
                        break;
                    case WatchRequest.RequestUnionOneofCase.CancelRequest:
                        await CancelAsync(request.CancelRequest.WatchId);
                        break;
                    case WatchRequest.RequestUnionOneofCase.ProgressRequest:
                        await ProgressAsync();
                        break;
                }
            }

            // As etcd: a client that closes its sending side keeps its watches; the stream lasts until
            // the client cancels it (or the server stops).
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            // The client went away.
        }
    }

    private async Task CreateAsync(WatchCreateRequest create)
    {
        if (create.Key.IsEmpty)
        {
            create.Key = Google.Protobuf.ByteString.CopyFrom(0);
        }

        var refusal = Refusal(create);
        if (refusal is not null)
        {
            await SendAsync(new WatchResponse { Header = Header(), WatchId = InvalidWatchId, Created = true, Canceled = true, CancelReason = refusal });
            return;
        }

        long id = create.WatchId != 0 ? create.WatchId : NextFreeId();
        var watcher = _kv.Watch(create.ToEngine());
        var entry = new Entry(watcher, create.Fragment);
        if (!_watches.TryAdd(id, entry))
        {
            watcher.Dispose();
            await SendAsync(new WatchResponse
            {
                Header = Header(), WatchId = InvalidWatchId, Created = true, Canceled = true,
                CancelReason = "mvcc: duplicate watch ID provided on the WatchStream",
            });
            return;
        }

        await SendAsync(new WatchResponse { Header = Header(), WatchId = id, Created = true });
        entry.Pump = PumpAsync(id, entry, _stop.Token);
    }

    /// <summary>Why a create is refused (etcd answers "created and canceled" with watch id -1), or null.</summary>
    private string? Refusal(WatchCreateRequest create)
    {
        if (create.StartRevision < 0)
        {
            return "etcdserver: mvcc: required revision has been compacted";
        }

        try
        {
            _auth.CheckRange(_user, create.Key.ToByteArray(), create.RangeEnd.ToByteArray());
            return null;
        }
        catch (AuthException e)
        {
            return e.Code is AuthErrorCode.UserEmpty or AuthErrorCode.InvalidAuthToken ? e.Message : "etcdserver: permission denied";
        }
    }

    private long NextFreeId()
    {
        while (_watches.ContainsKey(_nextId))
        {
            _nextId++;
        }

        return _nextId++;
    }

    private async Task CancelAsync(long id)
    {
        if (_watches.TryRemove(id, out var entry))
        {
            entry.Watcher.Dispose();
            await SendAsync(new WatchResponse { Header = Header(), WatchId = id, Canceled = true });
        }
    }

    /// <summary>
    /// etcd 3.5's stream-wide progress request: one answer with watch id -1 once every watch has
    /// delivered everything up to the answer's revision; none while some watch is still catching up.
    /// </summary>
    private async Task ProgressAsync()
    {
        var entries = _watches.Values.ToList();
        if (entries.Count == 0)
        {
            await SendAsync(new WatchResponse { Header = Header(), WatchId = InvalidWatchId });
            return;
        }

        if (Interlocked.CompareExchange(ref _progressPending, entries.Count, 0) != 0)
        {
            return; // One is already on its way.
        }

        Volatile.Write(ref _progressRevision, long.MaxValue);
        int refused = entries.Count(e => !e.Watcher.RequestProgress());
        Interlocked.Add(ref _progressPending, -refused);
    }

    private async Task PumpAsync(long id, Entry entry, CancellationToken ct)
    {
        try
        {
            await foreach (var r in entry.Watcher.Responses.ReadAllAsync(ct))
            {
                if (r.IsProgressNotify && await AnswerStreamProgressAsync(r.Revision))
                {
                    continue;
                }

                if (!_watches.ContainsKey(id))
                {
                    return; // Canceled by the client meanwhile.
                }

                var response = new WatchResponse
                {
                    Header = _member.Header(r.Revision),
                    WatchId = id,
                    Canceled = r.Canceled,
                    CompactRevision = r.CompactRevision,
                    // etcd marks a compacted cancel by compact_revision alone.
                    CancelReason = r.Canceled && r.CompactRevision == 0 ? r.CancelReason : "",
                };
                foreach (var e in r.Events)
                {
                    response.Events.Add(e.ToProto());
                }

                await SendAsync(response, entry.Fragment);
                if (r.Canceled)
                {
                    _watches.TryRemove(id, out _);
                    entry.Watcher.Dispose();
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Stream closing.
        }
        catch (ChannelClosedException)
        {
            // Stream closed while this watch still had something to say.
        }
    }

    /// <summary>Counts a watch's progress notification towards a pending stream-wide request; true when consumed by it.</summary>
    private async Task<bool> AnswerStreamProgressAsync(long revision)
    {
        if (Volatile.Read(ref _progressPending) == 0)
        {
            return false;
        }

        long seen;
        do
        {
            seen = Volatile.Read(ref _progressRevision);
        }
        while (revision < seen && Interlocked.CompareExchange(ref _progressRevision, revision, seen) != seen);

        if (Interlocked.Decrement(ref _progressPending) == 0)
        {
            await SendAsync(new WatchResponse { Header = _member.Header(Volatile.Read(ref _progressRevision)), WatchId = InvalidWatchId });
        }

        return true;
    }

    private async Task SendAsync(WatchResponse response, bool fragment = false)
    {
        if (!fragment || response.Events.Count < 2 || response.CalculateSize() <= _maxBytes)
        {
            await _out.Writer.WriteAsync(response, _stop.Token);
            return;
        }

        foreach (var part in Fragments(response))
        {
            await _out.Writer.WriteAsync(part, _stop.Token);
        }
    }

    /// <summary>Splits a response's events into parts of at most max-request-bytes (at least one event each); all but the last say fragment.</summary>
    private List<WatchResponse> Fragments(WatchResponse whole)
    {
        var parts = new List<WatchResponse>();
        WatchResponse Part() => new() { Header = whole.Header, WatchId = whole.WatchId, Fragment = true };
        var current = Part();
        int size = 0;
        foreach (var e in whole.Events)
        {
            int n = e.CalculateSize();
            if (current.Events.Count > 0 && size + n > _maxBytes)
            {
                parts.Add(current);
                current = Part();
                size = 0;
            }

            current.Events.Add(e);
            size += n;
        }

        current.Fragment = false;
        parts.Add(current);
        return parts;
    }

    private async Task SendLoopAsync(CancellationToken ct)
    {
        try
        {
            await foreach (var response in _out.Reader.ReadAllAsync(ct))
            {
                await _writer.WriteAsync(response, ct);
            }
        }
        catch (Exception e) when (ct.IsCancellationRequested || e is IOException or InvalidOperationException)
        {
            // The client went away or the call completed under us: nothing more can be sent.
            await _stop.CancelAsync();
        }
    }

    private ResponseHeader Header() => _member.Header(_kv.Revision);

    /// <summary>How long closing waits for queued responses to reach a client that is still there.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Ends the stream: the watches first (their pumps stop), then the responses already queued are
    /// written (a "created" or "canceled" the client has not seen yet), then the send loop ends. Only a
    /// client that stays but stops reading is cut off, after <see cref="DrainTimeout"/>.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        var entries = _watches.Values.ToList();
        _watches.Clear();
        foreach (var entry in entries)
        {
            entry.Watcher.Dispose();
        }

        try
        {
            await Task.WhenAll(entries.Select(e => e.Pump)).WaitAsync(DrainTimeout);
            _out.Writer.TryComplete();
            await _sendLoop.WaitAsync(DrainTimeout);
        }
        catch (TimeoutException)
        {
            // The client is not reading: give up on what is queued.
        }

        _out.Writer.TryComplete();
        await _stop.CancelAsync();
        await Task.WhenAll(entries.Select(e => e.Pump).Append(_sendLoop));
        _stop.Dispose();
    }
}
