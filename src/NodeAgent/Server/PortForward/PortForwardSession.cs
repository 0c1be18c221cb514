using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;

namespace KvCluster.NodeAgent.Server.PortForward;

/// <summary>
/// The kubelet's side of one <c>kubectl port-forward</c> connection (protocol portforward.k8s.io over SPDY/3.1,
/// tunnelled in WebSocket binary messages). For each local connection the client opens two streams with the same
/// <c>requestid</c> header: an error stream and a data stream, both naming the <c>port</c>. Once both are there, a
/// TCP connection is made to that port on the pod's loopback, from inside its network namespace, and bytes are
/// copied both ways on the data stream; a failure to connect is written on the error stream, as the kubelet's
/// "error forwarding port … to pod …", which kubectl prints.
/// </summary>
internal sealed class PortForwardSession(WebSocket socket, Func<Socket> podSocket, string podName, ILogger log) : IDisposable
{
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly SpdyFrameReader _reader = new();
    private readonly SpdyHeaderDecoder _decoder = new();
    private readonly SpdyHeaderEncoder _encoder = new();
    private readonly Dictionary<string, (uint Error, uint Data, int Port)> _requests = [];
    private readonly Dictionary<uint, Task<Socket?>> _connections = [];
    private readonly CancellationTokenSource _stop = new();

    public async Task RunAsync(CancellationToken ct)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
        var buffer = ArrayPool<byte>.Shared.Rent(64 * 1024);
        try
        {
            while (!linked.IsCancellationRequested)
            {
                var r = await socket.ReceiveAsync(buffer.AsMemory(), linked.Token);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }

                _reader.Append(buffer.AsSpan(0, r.Count));
                while (_reader.TryRead(out var frame))
                {
                    await HandleAsync(frame, linked.Token);
                }
            }

            if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await socket.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            // The client went away, or sent what is not SPDY (InvalidDataException is an IOException).
            if (e is InvalidDataException)
            {
                log.LogWarning("port-forward to pod {Pod}: {Error}", podName, e.Message);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
            await _stop.CancelAsync();
            foreach (var c in _connections.Values)
            {
                if (c.IsCompletedSuccessfully)
                {
                    c.Result?.Dispose();
                }
            }
        }
    }

    private async Task HandleAsync(SpdyFrame frame, CancellationToken ct)
    {
        if (!frame.IsControl)
        {
            await DataAsync(frame, ct);
            return;
        }

        switch (frame.Type)
        {
            case Spdy.SynStream:
                await OpenAsync(frame, ct);
                break;
            case Spdy.RstStream when frame.Payload.Length >= 4:
                Close(BinaryPrimitives.ReadUInt32BigEndian(frame.Payload) & 0x7FFFFFFF);
                break;
            case Spdy.Ping:
                await SendAsync(Spdy.Control(Spdy.Ping, 0, frame.Payload), ct);
                break;
            case Spdy.GoAway:
                await _stop.CancelAsync();
                break;
            default:
                // SETTINGS, WINDOW_UPDATE, HEADERS: nothing to do (no flow control is enforced on either side, as with spdystream).
                break;
        }
    }

    private async Task OpenAsync(SpdyFrame frame, CancellationToken ct)
    {
        if (frame.Payload.Length < 10)
        {
            throw new InvalidDataException("a SYN_STREAM frame shorter than its fixed fields");
        }

        uint id = BinaryPrimitives.ReadUInt32BigEndian(frame.Payload) & 0x7FFFFFFF;
        var headers = _decoder.Decode(frame.Payload.AsSpan(10));
        await SendAsync(Spdy.Reply(id, _encoder.Encode([])), ct);
        string Header(string name) => headers.FirstOrDefault(h => h.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value ?? "";
        var type = Header("streamtype");
        var requestId = Header("requestid");
        if (!int.TryParse(Header("port"), out var port) || port is < 1 or > 65535 || type is not ("error" or "data") || requestId.Length == 0)
        {
            // Every client of the WebSocket tunnel (kubectl 1.30+) names the request; streams are paired by it.
            await SendAsync(Spdy.Reset(id, Spdy.ProtocolError), ct);
            return;
        }

        var pair = _requests.GetValueOrDefault(requestId);
        pair = type == "error" ? pair with { Error = id, Port = port } : pair with { Data = id, Port = port };
        _requests[requestId] = pair;
        if (pair.Error != 0 && pair.Data != 0)
        {
            _requests.Remove(requestId);
            _connections[pair.Data] = ForwardAsync(pair.Error, pair.Data, port, ct);
        }
    }

    /// <summary>Connects to the pod's port; copies the pod's bytes to the data stream until the connection ends.</summary>
    private async Task<Socket?> ForwardAsync(uint errorStream, uint dataStream, int port, CancellationToken ct)
    {
        Socket? tcp = null;
        try
        {
            tcp = podSocket();
            await tcp.ConnectAsync(IPAddress.Loopback, port, ct);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            tcp?.Dispose();
            var message = $"error forwarding port {port} to pod {podName}, uid : failed to connect to localhost:{port} inside the pod's network namespace: {e.Message}";
            log.LogInformation("port-forward: {Error}", message);
            await SendAsync(Spdy.Data(errorStream, Spdy.FlagFin, Encoding.UTF8.GetBytes(message)), ct);
            await SendAsync(Spdy.Data(dataStream, Spdy.FlagFin, []), ct);
            return null;
        }

        _ = PumpAsync(tcp, errorStream, dataStream, ct);
        return tcp;
    }

    private async Task PumpAsync(Socket tcp, uint errorStream, uint dataStream, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(Spdy.MaxDataPayload);
        try
        {
            int n;
            while ((n = await tcp.ReceiveAsync(buffer.AsMemory(0, Spdy.MaxDataPayload), ct)) > 0)
            {
                await SendAsync(Spdy.Data(dataStream, 0, buffer.AsSpan(0, n)), ct);
            }

            await SendAsync(Spdy.Data(dataStream, Spdy.FlagFin, []), ct);
            await SendAsync(Spdy.Data(errorStream, Spdy.FlagFin, []), ct);
        }
        catch (Exception e) when (e is SocketException or IOException or OperationCanceledException or WebSocketException or ObjectDisposedException)
        {
            // The pod's side or the client's went away; the session's end disposes the connection.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task DataAsync(SpdyFrame frame, CancellationToken ct)
    {
        if (!_connections.TryGetValue(frame.StreamId, out var connecting))
        {
            return; // the error stream's (the client sends nothing there), or a stream already closed
        }

        var tcp = await connecting;
        if (tcp is null)
        {
            return;
        }

        try
        {
            if (frame.Payload.Length > 0)
            {
                await tcp.SendAsync(frame.Payload, ct);
            }

            if (frame.Fin)
            {
                tcp.Shutdown(SocketShutdown.Send);
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // The pod's side closed, or the client reset the stream meanwhile.
            Close(frame.StreamId);
        }
    }

    /// <summary>The client reset a stream: its connection to the pod goes.</summary>
    private void Close(uint stream)
    {
        if (_connections.Remove(stream, out var connecting))
        {
            _ = connecting.ContinueWith(static t => t.Result?.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        }
    }

    private async Task SendAsync(byte[] frame, CancellationToken ct)
    {
        await _sendLock.WaitAsync(ct);
        try
        {
            await socket.SendAsync(frame, WebSocketMessageType.Binary, endOfMessage: true, ct);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    public void Dispose()
    {
        _decoder.Dispose();
        _encoder.Dispose();
        _stop.Dispose();
        _sendLock.Dispose();
    }
}
