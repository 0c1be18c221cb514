using System.Net.WebSockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace KvCluster.NodeAgent.Tests.Infra;

/// <summary>The client side of the channel protocol, as kubectl's websocket executor speaks it.</summary>
public sealed class ChannelClient : IAsyncDisposable
{
    private readonly ClientWebSocket _ws = new();

    public StringBuilder Stdout { get; } = new();

    public StringBuilder Stderr { get; } = new();

    public StringBuilder Error { get; } = new();

    public string? Protocol => _ws.SubProtocol;

    public WebSocketCloseStatus? CloseStatus => _ws.CloseStatus;

    public static async Task<ChannelClient> ConnectAsync(int port, string pathAndQuery, X509Certificate2 cert, params string[] protocols)
    {
        var c = new ChannelClient();
        c._ws.Options.ClientCertificates.Add(cert);
        c._ws.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        foreach (var p in protocols)
        {
            c._ws.Options.AddSubProtocol(p);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await c._ws.ConnectAsync(new Uri($"wss://127.0.0.1:{port}{pathAndQuery}"), timeout.Token);
        return c;
    }

    public Task SendAsync(byte channel, string text) => SendAsync(channel, Encoding.UTF8.GetBytes(text));

    public async Task SendAsync(byte channel, byte[] data)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _ws.SendAsync((byte[])[channel, .. data], WebSocketMessageType.Binary, true, timeout.Token);
    }

    /// <summary>Collects every channel until the server closes, then answers the close.</summary>
    public async Task ReadToCloseAsync(TimeSpan? limit = null)
    {
        using var timeout = new CancellationTokenSource(limit ?? TimeSpan.FromSeconds(20));
        var buf = new byte[64 * 1024];
        while (true)
        {
            int len = 0;
            WebSocketReceiveResult r;
            do
            {
                r = await _ws.ReceiveAsync(new ArraySegment<byte>(buf, len, buf.Length - len), timeout.Token);
                len += r.Count;
            }
            while (!r.EndOfMessage);

            if (r.MessageType == WebSocketMessageType.Close)
            {
                await _ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                return;
            }

            if (len == 0)
            {
                continue;
            }

            var text = Encoding.UTF8.GetString(buf, 1, len - 1);
            (buf[0] switch { 1 => Stdout, 2 => Stderr, 3 => Error, _ => new StringBuilder() }).Append(text);
        }
    }

    public async ValueTask DisposeAsync()
    {
        _ws.Abort();
        _ws.Dispose();
        await Task.CompletedTask;
    }
}
