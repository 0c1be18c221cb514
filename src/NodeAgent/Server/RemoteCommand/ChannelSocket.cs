using System.Buffers;
using System.Net.WebSockets;

namespace KvCluster.NodeAgent.Server.RemoteCommand;

/// <summary>A WebSocket carrying channel-prefixed messages: one sender at a time, one receive loop.</summary>
internal sealed class ChannelSocket(WebSocket ws) : IDisposable
{
    private readonly SemaphoreSlim _sending = new(1, 1);

    public async Task SendAsync(byte channel, ReadOnlyMemory<byte> data, CancellationToken ct)
    {
        var buf = ArrayPool<byte>.Shared.Rent(data.Length + 1);
        buf[0] = channel;
        data.CopyTo(buf.AsMemory(1));
        await _sending.WaitAsync(ct);
        try
        {
            await ws.SendAsync(buf.AsMemory(0, data.Length + 1), WebSocketMessageType.Binary, endOfMessage: true, ct);
        }
        finally
        {
            _sending.Release();
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    /// <summary>Hands each message to <paramref name="onMessage"/> (channel, payload) until the peer closes.</summary>
    public async Task ReceiveAsync(Func<byte, ReadOnlyMemory<byte>, ValueTask> onMessage, CancellationToken ct)
    {
        var buf = new byte[64 * 1024];
        while (true)
        {
            int len = 0;
            ValueWebSocketReceiveResult r;
            do
            {
                if (len == buf.Length)
                {
                    Array.Resize(ref buf, buf.Length * 2);
                }

                r = await ws.ReceiveAsync(buf.AsMemory(len), ct);
                len += r.Count;
            }
            while (!r.EndOfMessage && r.MessageType != WebSocketMessageType.Close);

            if (r.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            if (len > 0)
            {
                await onMessage(buf[0], buf.AsMemory(1, len - 1));
            }
        }
    }

    /// <summary>Starts the normal close handshake (the peer's close ends <see cref="ReceiveAsync"/>).</summary>
    public async Task CloseAsync(CancellationToken ct)
    {
        await _sending.WaitAsync(ct);
        try
        {
            if (ws.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, ct);
            }
        }
        finally
        {
            _sending.Release();
        }
    }

    public void Dispose() => _sending.Dispose();
}
