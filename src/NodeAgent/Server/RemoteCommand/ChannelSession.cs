using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace KvCluster.NodeAgent.Server.RemoteCommand;

/// <summary>
/// One exec or attach over a channel WebSocket: a receive loop (stdin, resize, close), output pumps, and at
/// the end the Status on the error channel followed by a normal close.
/// </summary>
internal sealed class ChannelSession(WebSocket ws, ChannelProtocol protocol, StreamRequest request) : IDisposable
{
    // After the process exits, how long its output may still drain (a background child can hold the pipes).
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(2);

    private readonly ChannelSocket _socket = new(ws);
    private int _stdinClosed;

    /// <summary>The kubelet's "connection is ready" signal: an empty message on the lowest writable channel.</summary>
    public Task SendReadyAsync(CancellationToken ct) =>
        _socket.SendAsync(request.Stdout ? ChannelProtocol.Stdout : request.Stderr ? ChannelProtocol.Stderr : ChannelProtocol.Error, ReadOnlyMemory<byte>.Empty, ct);

    /// <summary>Feeds stdin and resizes until the client closes; v5's close of channel 0 closes stdin.</summary>
    public Task ReceiveAsync(Stream? stdin, Action<ushort, ushort>? resize, Action closeStdin, CancellationToken ct) =>
        _socket.ReceiveAsync(async (channel, data) =>
        {
            switch (channel)
            {
                case ChannelProtocol.Stdin when stdin is not null && request.Stdin && _stdinClosed == 0:
                    await WriteStdinAsync(stdin, data, ct);
                    break;
                case ChannelProtocol.Resize when protocol.HasResize && resize is not null:
                    if (ParseSize(data.Span) is { } size)
                    {
                        resize(size.Width, size.Height);
                    }

                    break;
                case ChannelProtocol.Close when protocol.HasClose && data.Length > 0 && data.Span[0] == ChannelProtocol.Stdin:
                    if (Interlocked.Exchange(ref _stdinClosed, 1) == 0)
                    {
                        closeStdin();
                    }

                    break;
            }
        }, ct);

    /// <summary>Copies a stream to a channel until it ends; read when not asked for, so the process never blocks on it.</summary>
    public async Task PumpAsync(Stream source, byte channel, bool forward, CancellationToken ct)
    {
        var buf = new byte[32 * 1024];
        try
        {
            int n;
            while ((n = await source.ReadAsync(buf, ct)) > 0)
            {
                if (forward)
                {
                    await _socket.SendAsync(channel, buf.AsMemory(0, n), ct);
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or WebSocketException or OperationCanceledException)
        {
            // The process or the client went away; the session's end says which.
        }
    }

    public Task SendAsync(byte channel, ReadOnlyMemory<byte> data, CancellationToken ct) => _socket.SendAsync(channel, data, ct);

    /// <summary>Waits for the output to drain (bounded), sends the status and closes.</summary>
    public async Task FinishAsync(Task output, KubeletStatus status, Task receiving, CancellationToken ct)
    {
        await Task.WhenAny(output, Task.Delay(OutputGrace, ct));
        if (protocol.StatusAsJson)
        {
            await _socket.SendAsync(ChannelProtocol.Error, status.ToJson(), ct);
        }
        else if (status.Status != "Success")
        {
            await _socket.SendAsync(ChannelProtocol.Error, Encoding.UTF8.GetBytes(status.Message ?? ""), ct);
        }

        await _socket.CloseAsync(ct);
        await Task.WhenAny(receiving, Task.Delay(CloseGrace, ct));
    }

    public void Dispose() => _socket.Dispose();

    private static async Task WriteStdinAsync(Stream stdin, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        try
        {
            await stdin.WriteAsync(data, ct);
            await stdin.FlushAsync(ct);
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The process no longer reads its stdin.
        }
    }

    // {"Width":80,"Height":24}, as remotecommand.TerminalSize marshals it.
    private static (ushort Width, ushort Height)? ParseSize(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            ushort Get(string name) => doc.RootElement.EnumerateObject()
                .FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase)).Value is { ValueKind: JsonValueKind.Number } v
                && v.TryGetUInt16(out var n) ? n : (ushort)0;
            return (Get("Width"), Get("Height"));
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
