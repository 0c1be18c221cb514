using System.Buffers;
using System.IO.Pipelines;
using System.Text;
using Microsoft.AspNetCore.Connections;

namespace KvCluster.KvServer.Hosting.Http2;

/// <summary>
/// etcdctl 3.4 dials some RPCs (endpoint status, endpoint hashkv, snapshot save, defrag,
/// move-leader) once per endpoint, with the endpoint as given, so a user's
/// <c>--endpoints=http://127.0.0.1:2379</c> becomes the HTTP/2 <c>:authority</c>
/// "http://127.0.0.1:2379". etcd's Go server takes it. Kestrel resets the stream ("Invalid Host
/// header", PROTOCOL_ERROR), and has no setting to allow it. This connection middleware sits in
/// front of Kestrel's HTTP/2 parser. It decodes the client's first header block (HPACK). If that
/// block's authority is well formed, it forwards the block unchanged and gets out of the way for the
/// rest of the connection. Otherwise it re-encodes every header block on the connection, with the
/// authority cut down to host:port, as HPACK literals that Kestrel's decoder reads without a dynamic
/// table. Every other frame passes through unchanged.
/// </summary>
public static class AuthorityRewriter
{
    private const byte Headers = 0x1;
    private const byte Continuation = 0x9;
    private const byte EndStream = 0x1;
    private const byte EndHeaders = 0x4;
    private const byte Padded = 0x8;
    private const byte Priority = 0x20;
    private const int MaxFrame = 16384;
    private static readonly byte[] Preface = CleartextMux.Preface;

    public static Func<ConnectionDelegate, ConnectionDelegate> Middleware => next => async connection =>
    {
        var original = connection.Transport;
        var rewritten = new Pipe();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed);
        var pump = Task.Run(() => PumpAsync(original.Input, rewritten.Writer, stop.Token));
        connection.Transport = new Duplex(rewritten.Reader, original.Output);
        try
        {
            await next(connection);
        }
        finally
        {
            await stop.CancelAsync();
            await pump;
            connection.Transport = original;
        }
    };

    /// <summary>host:port from an authority written as a URL ("http://127.0.0.1:2379/"); null when it needs no change.</summary>
    public static string? Fix(string authority)
    {
        int scheme = authority.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0 && !authority.Contains('/'))
        {
            return null;
        }

        string rest = scheme < 0 ? authority : authority[(scheme + 3)..];
        int slash = rest.IndexOf('/');
        return slash < 0 ? rest : rest[..slash];
    }

    private enum Mode
    {
        Preface,
        FirstBlock,
        Rewrite,
        PassThrough,
    }

    private sealed class State
    {
        public Mode Mode = Mode.Preface;
        public readonly HpackDecoder Decoder = new();
        public readonly ArrayBufferWriter<byte> Block = new();
        public readonly ArrayBufferWriter<byte> Raw = new();
        public int Stream;
        public bool EndStream;
        public byte[]? Priority;
    }

    private static async Task PumpAsync(PipeReader input, PipeWriter output, CancellationToken ct)
    {
        var state = new State();
        try
        {
            while (true)
            {
                var result = await input.ReadAsync(ct);
                var buffer = result.Buffer;
                var consumed = Process(buffer, output, state);
                input.AdvanceTo(consumed, buffer.End);
                var flushed = await output.FlushAsync(ct);
                if (result.IsCompleted || flushed.IsCompleted)
                {
                    break;
                }
            }

            await output.CompleteAsync();
        }
        catch (OperationCanceledException)
        {
            await output.CompleteAsync();
        }
        catch (Exception e)
        {
            await output.CompleteAsync(e);
        }
    }

    private static SequencePosition Process(ReadOnlySequence<byte> buffer, PipeWriter output, State state)
    {
        var reader = new SequenceReader<byte>(buffer);
        Span<byte> header = stackalloc byte[9];
        while (true)
        {
            switch (state.Mode)
            {
                case Mode.PassThrough:
                    foreach (var segment in reader.UnreadSequence)
                    {
                        output.Write(segment.Span);
                    }

                    return buffer.End;
                case Mode.Preface:
                    if (reader.Remaining < Preface.Length)
                    {
                        return reader.Position;
                    }

                    var head = reader.UnreadSequence.Slice(0, Preface.Length).ToArray();
                    state.Mode = head.AsSpan().SequenceEqual(Preface) ? Mode.FirstBlock : Mode.PassThrough;
                    if (state.Mode == Mode.FirstBlock)
                    {
                        output.Write(head);
                        reader.Advance(Preface.Length);
                    }

                    continue;
            }

            if (reader.Remaining < 9)
            {
                return reader.Position;
            }

            reader.TryCopyTo(header);
            int length = (header[0] << 16) | (header[1] << 8) | header[2];
            if (reader.Remaining < 9 + length)
            {
                return reader.Position;
            }

            var frame = reader.UnreadSequence.Slice(0, 9 + length);
            reader.Advance(9 + length);
            byte type = header[3];
            if (type != Headers && type != Continuation)
            {
                foreach (var segment in frame)
                {
                    output.Write(segment.Span);
                }

                continue;
            }

            OnHeaderFrame(frame.ToArray(), output, state);
        }
    }

    private static void OnHeaderFrame(byte[] frame, PipeWriter output, State state)
    {
        byte type = frame[3];
        byte flags = frame[4];
        var payload = frame.AsSpan(9);
        if (type == Headers)
        {
            state.Block.Clear();
            state.Raw.Clear();
            state.Stream = ((frame[5] & 0x7f) << 24) | (frame[6] << 16) | (frame[7] << 8) | frame[8];
            state.EndStream = (flags & EndStream) != 0;
            state.Priority = null;
            if ((flags & Padded) != 0 && payload.Length > 0)
            {
                int pad = payload[0];
                payload = payload[1..Math.Max(1, payload.Length - pad)];
            }

            if ((flags & Priority) != 0 && payload.Length >= 5)
            {
                state.Priority = payload[..5].ToArray();
                payload = payload[5..];
            }
        }

        state.Block.Write(payload);
        state.Raw.Write(frame);
        if ((flags & EndHeaders) == 0)
        {
            return;
        }

        List<(string Name, string Value)> headers;
        try
        {
            headers = state.Decoder.Decode(state.Block.WrittenSpan);
        }
        catch (FormatException)
        {
            // Not HPACK we can read: Kestrel answers it, and this connection is no longer ours to rewrite.
            output.Write(state.Raw.WrittenSpan);
            state.Mode = Mode.PassThrough;
            return;
        }

        bool needsFix = headers.Any(h => h.Name == ":authority" && Fix(h.Value) is not null);
        if (state.Mode == Mode.FirstBlock && !needsFix)
        {
            output.Write(state.Raw.WrittenSpan);
            state.Mode = Mode.PassThrough;
            return;
        }

        state.Mode = Mode.Rewrite;
        WriteLiteralBlock(output, state, headers);
    }

    private static void WriteLiteralBlock(PipeWriter output, State state, List<(string Name, string Value)> headers)
    {
        var block = new ArrayBufferWriter<byte>();
        foreach (var (name, value) in headers)
        {
            // Literal header field without indexing, new name (RFC 7541 §6.2.2).
            block.Write<byte>([0x00]);
            WriteString(block, name);
            WriteString(block, name == ":authority" ? Fix(value) ?? value : value);
        }

        var bytes = block.WrittenSpan;
        var prefix = state.Priority ?? [];
        int first = Math.Min(bytes.Length, MaxFrame - prefix.Length);
        byte flags = (byte)((state.EndStream ? EndStream : 0) | (state.Priority is null ? 0 : Priority) | (first == bytes.Length ? EndHeaders : 0));
        WriteFrameHeader(output, prefix.Length + first, Headers, flags, state.Stream);
        output.Write(prefix.AsSpan());
        output.Write(bytes[..first]);
        for (int at = first; at < bytes.Length;)
        {
            int n = Math.Min(MaxFrame, bytes.Length - at);
            WriteFrameHeader(output, n, Continuation, at + n == bytes.Length ? EndHeaders : (byte)0, state.Stream);
            output.Write(bytes.Slice(at, n));
            at += n;
        }
    }

    private static void WriteString(IBufferWriter<byte> w, string s)
    {
        var bytes = Encoding.UTF8.GetBytes(s);
        WriteInteger(w, bytes.Length, 7, 0x00);
        w.Write(bytes);
    }

    private static void WriteInteger(IBufferWriter<byte> w, int value, int prefix, byte high)
    {
        int max = (1 << prefix) - 1;
        if (value < max)
        {
            w.Write([(byte)(high | value)]);
            return;
        }

        w.Write([(byte)(high | max)]);
        value -= max;
        while (value >= 0x80)
        {
            w.Write([(byte)((value & 0x7f) | 0x80)]);
            value >>= 7;
        }

        w.Write([(byte)value]);
    }

    private static void WriteFrameHeader(PipeWriter output, int length, byte type, byte flags, int stream) =>
        output.Write([(byte)(length >> 16), (byte)(length >> 8), (byte)length, type, flags, (byte)((stream >> 24) & 0x7f), (byte)(stream >> 16), (byte)(stream >> 8), (byte)stream]);

    private sealed class Duplex(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
