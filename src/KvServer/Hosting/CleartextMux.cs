using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;

namespace KvCluster.KvServer.Hosting;

/// <summary>
/// gRPC (HTTP/2 with prior knowledge) and HTTP/1.1 (/health, /metrics, curl) on one cleartext port, as
/// etcd serves them. Kestrel cannot choose between the two without TLS, so the public endpoint speaks
/// HTTP/2 and this connection middleware looks at the first bytes: a connection that does not open
/// with the HTTP/2 preface is relayed to an internal HTTP/1.1 endpoint on a Unix socket.
/// </summary>
public static class CleartextMux
{
    /// <summary>The bytes every HTTP/2 connection with prior knowledge opens with.</summary>
    internal static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware(string http1Socket) => next => async connection =>
    {
        if (await IsHttp2Async(connection.Transport.Input, connection.ConnectionClosed))
        {
            await next(connection);
            return;
        }

        await RelayAsync(connection, http1Socket);
    };

    /// <summary>Reads until the first bytes match or differ from the preface, consuming nothing.</summary>
    private static async Task<bool> IsHttp2Async(PipeReader input, CancellationToken ct)
    {
        while (true)
        {
            var result = await input.ReadAsync(ct);
            var buffer = result.Buffer;
            int n = (int)Math.Min(buffer.Length, Preface.Length);
            var head = buffer.Slice(0, n).ToArray();
            bool matches = head.AsSpan().SequenceEqual(Preface.AsSpan(0, n));
            if (!matches || n == Preface.Length || result.IsCompleted)
            {
                // Leave every byte for the protocol that takes the connection.
                input.AdvanceTo(buffer.Start);
                return matches && n == Preface.Length;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task RelayAsync(ConnectionContext connection, string socketPath)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath), connection.ConnectionClosed);
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var up = connection.Transport.Input.CopyToAsync(stream, connection.ConnectionClosed);
        var down = stream.CopyToAsync(connection.Transport.Output, connection.ConnectionClosed);
        try
        {
            await Task.WhenAny(up, down);
        }
        finally
        {
            socket.Shutdown(SocketShutdown.Both);
            await connection.Transport.Output.CompleteAsync();
        }
    }
}
