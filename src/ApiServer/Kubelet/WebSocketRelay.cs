using System.Buffers;
using System.Net.WebSockets;

namespace KvCluster.ApiServer.Kubelet;

/// <summary>
/// Joins two WebSockets (kubectl's and the kubelet's): every data frame goes across as it is (same
/// type, same message boundaries; the channel byte travels inside), and a close from one side is
/// passed to the other with its status and reason. Ends when both sides have closed, or one breaks
/// (the other is then aborted), or <c>ct</c> fires.
/// </summary>
public static class WebSocketRelay
{
    private const int BufferSize = 32 * 1024;

    /// <summary>How long the second side gets to answer a close before it is aborted.</summary>
    private static readonly TimeSpan CloseWait = TimeSpan.FromSeconds(5);

    public static async Task RunAsync(WebSocket client, WebSocket node, CancellationToken ct)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var up = PumpAsync(client, node, stop.Token);
        var down = PumpAsync(node, client, stop.Token);
        var first = await Task.WhenAny(up, down);
        var second = first == up ? down : up;
        if (!await first)
        {
            // One side broke: nothing more will cross.
            await stop.CancelAsync();
        }

        stop.CancelAfter(CloseWait);
        await second;
        if (client.State != WebSocketState.Closed || node.State != WebSocketState.Closed)
        {
            client.Abort();
            node.Abort();
        }
    }

    /// <summary>Copies frames from <paramref name="from"/> to <paramref name="to"/>; true when it ended with a close handshake, false when broken or stopped.</summary>
    private static async Task<bool> PumpAsync(WebSocket from, WebSocket to, CancellationToken ct)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
        try
        {
            while (true)
            {
                var r = await from.ReceiveAsync(buffer.AsMemory(), ct);
                if (r.MessageType == WebSocketMessageType.Close)
                {
                    if (to.State is WebSocketState.Open or WebSocketState.CloseReceived)
                    {
                        await to.CloseOutputAsync(from.CloseStatus ?? WebSocketCloseStatus.NormalClosure, from.CloseStatusDescription, ct);
                    }

                    return true;
                }

                await to.SendAsync(buffer.AsMemory(0, r.Count), r.MessageType, r.EndOfMessage, ct);
            }
        }
        catch (Exception e) when (e is WebSocketException or OperationCanceledException or IOException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
