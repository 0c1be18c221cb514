using System.Buffers.Binary;

namespace KvCluster.NodeAgent.Server.PortForward;

/// <summary>
/// One SPDY/3.1 frame (draft-mbelshe-httpbis-spdy-00 §2.2): a control frame (SYN_STREAM, SYN_REPLY, RST_STREAM,
/// SETTINGS, PING, GOAWAY, HEADERS, WINDOW_UPDATE) or a data frame of a stream. kubectl's port-forward speaks it,
/// tunnelled in WebSocket binary messages (subprotocol <c>SPDY/3.1+portforward.k8s.io</c>).
/// </summary>
internal readonly record struct SpdyFrame(bool IsControl, ushort Type, uint StreamId, byte Flags, byte[] Payload)
{
    public bool Fin => (Flags & Spdy.FlagFin) != 0;
}

/// <summary>SPDY/3.1 constants and the frames the server side of a port-forward sends.</summary>
internal static class Spdy
{
    public const ushort SynStream = 1;
    public const ushort SynReply = 2;
    public const ushort RstStream = 3;
    public const ushort Ping = 6;
    public const ushort GoAway = 7;
    public const byte FlagFin = 0x01;

    /// <summary>RST_STREAM status codes.</summary>
    public const uint ProtocolError = 1;
    public const uint Cancel = 5;

    /// <summary>Largest data frame this side sends (the format allows 16 MiB).</summary>
    public const int MaxDataPayload = 32 * 1024;

    public static byte[] Control(ushort type, byte flags, ReadOnlySpan<byte> payload)
    {
        var frame = new byte[8 + payload.Length];
        frame[0] = 0x80; // control bit, version 3
        frame[1] = 3;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(2), type);
        WriteFlagsAndLength(frame, flags, payload.Length);
        payload.CopyTo(frame.AsSpan(8));
        return frame;
    }

    public static byte[] Data(uint streamId, byte flags, ReadOnlySpan<byte> data)
    {
        var frame = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(frame, streamId & 0x7FFFFFFF);
        WriteFlagsAndLength(frame, flags, data.Length);
        data.CopyTo(frame.AsSpan(8));
        return frame;
    }

    /// <summary>SYN_REPLY: the stream's id, then its (compressed) header block.</summary>
    public static byte[] Reply(uint streamId, ReadOnlySpan<byte> headerBlock)
    {
        var payload = new byte[4 + headerBlock.Length];
        BinaryPrimitives.WriteUInt32BigEndian(payload, streamId & 0x7FFFFFFF);
        headerBlock.CopyTo(payload.AsSpan(4));
        return Control(SynReply, 0, payload);
    }

    public static byte[] Reset(uint streamId, uint status)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(payload, streamId & 0x7FFFFFFF);
        BinaryPrimitives.WriteUInt32BigEndian(payload[4..], status);
        return Control(RstStream, 0, payload);
    }

    private static void WriteFlagsAndLength(byte[] frame, byte flags, int length)
    {
        frame[4] = flags;
        frame[5] = (byte)(length >> 16);
        frame[6] = (byte)(length >> 8);
        frame[7] = (byte)length;
    }
}

/// <summary>Cuts SPDY frames out of a byte stream that arrives in pieces of any size (WebSocket messages).</summary>
internal sealed class SpdyFrameReader
{
    /// <summary>Largest frame accepted: a port-forward client sends data frames of at most 32 KiB.</summary>
    private const int MaxFrame = 1 << 20;

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    public void Append(ReadOnlySpan<byte> data)
    {
        if (_buffer.Length - _end < data.Length)
        {
            int pending = _end - _start;
            var target = pending + data.Length <= _buffer.Length ? _buffer : new byte[Math.Max(_buffer.Length * 2, pending + data.Length)];
            _buffer.AsSpan(_start, pending).CopyTo(target);
            _buffer = target;
            _start = 0;
            _end = pending;
        }

        data.CopyTo(_buffer.AsSpan(_end));
        _end += data.Length;
    }

    /// <summary>The next whole frame, if one has arrived; throws <see cref="InvalidDataException"/> on a frame that is not SPDY/3.</summary>
    public bool TryRead(out SpdyFrame frame)
    {
        frame = default;
        if (_end - _start < 8)
        {
            return false;
        }

        var header = _buffer.AsSpan(_start, 8);
        int length = (header[5] << 16) | (header[6] << 8) | header[7];
        if (length > MaxFrame)
        {
            throw new InvalidDataException($"SPDY frame of {length} bytes (at most {MaxFrame})");
        }

        if (_end - _start < 8 + length)
        {
            return false;
        }

        var payload = _buffer.AsSpan(_start + 8, length).ToArray();
        if ((header[0] & 0x80) != 0)
        {
            int version = ((header[0] & 0x7F) << 8) | header[1];
            if (version != 3)
            {
                throw new InvalidDataException($"SPDY version {version} (only 3 is spoken)");
            }

            frame = new SpdyFrame(true, BinaryPrimitives.ReadUInt16BigEndian(header[2..]), 0, header[4], payload);
        }
        else
        {
            frame = new SpdyFrame(false, 0, BinaryPrimitives.ReadUInt32BigEndian(header) & 0x7FFFFFFF, header[4], payload);
        }

        _start += 8 + length;
        if (_start == _end)
        {
            _start = _end = 0;
        }

        return true;
    }
}
