using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace KvCluster.NodeAgent.Server.PortForward;

/// <summary>
/// SPDY/3 header blocks (draft-mbelshe-httpbis-spdy-00 §2.6.10): a count, then length-prefixed names and values
/// (a value may hold several, NUL-separated), compressed with zlib as one stream per direction for the whole
/// session. The peer's stream starts with the spec's preset dictionary (§2.6.10.1).
/// </summary>
internal static class SpdyHeaderDictionary
{
    private static readonly string[] Words =
    [
        "options", "head", "post", "put", "delete", "trace", "accept", "accept-charset", "accept-encoding", "accept-language",
        "accept-ranges", "age", "allow", "authorization", "cache-control", "connection", "content-base", "content-encoding",
        "content-language", "content-length", "content-location", "content-md5", "content-range", "content-type", "date", "etag",
        "expect", "expires", "from", "host", "if-match", "if-modified-since", "if-none-match", "if-range", "if-unmodified-since",
        "last-modified", "location", "max-forwards", "pragma", "proxy-authenticate", "proxy-authorization", "range", "referer",
        "retry-after", "server", "te", "trailer", "transfer-encoding", "upgrade", "user-agent", "vary", "via", "warning",
        "www-authenticate", "method", "get", "status", "200 OK", "version", "HTTP/1.1", "url", "public", "set-cookie",
        "keep-alive", "origin",
    ];

    private const string Tail =
        "100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505" +
        "203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized" +
        "403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable" +
        "Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT" +
        "chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain," +
        "text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.";

    /// <summary>The dictionary: each word with its 4-byte big-endian length, then the tail as it is.</summary>
    public static readonly byte[] Bytes = Build();

    /// <summary>Its Adler-32, the DICTID a peer's zlib header names.</summary>
    public static readonly uint Adler32 = ComputeAdler32(Bytes);

    private static byte[] Build()
    {
        var b = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var w in Words)
        {
            BinaryPrimitives.WriteInt32BigEndian(length, w.Length);
            b.Write(length);
            b.Write(Encoding.ASCII.GetBytes(w));
        }

        b.Write(Encoding.ASCII.GetBytes(Tail));
        return b.ToArray();
    }

    internal static uint ComputeAdler32(ReadOnlySpan<byte> data)
    {
        uint a = 1, s = 0;
        foreach (var x in data)
        {
            a = (a + x) % 65521;
            s = (s + a) % 65521;
        }

        return (s << 16) | a;
    }
}

/// <summary>
/// Reads the header blocks a peer sends, in order. .NET's inflater takes no preset dictionary, so the raw
/// deflate data is fed after a stored block that holds the dictionary: a back-reference into the dictionary
/// then resolves as one into earlier output, which is what a preset dictionary is.
/// </summary>
internal sealed class SpdyHeaderDecoder : IDisposable
{
    private const int MaxHeaders = 128;
    private const int MaxString = 64 * 1024;

    private readonly PendingInput _input = new();
    private readonly DeflateStream _inflate;
    private bool _started;

    public SpdyHeaderDecoder()
    {
        var dictionary = SpdyHeaderDictionary.Bytes;
        var stored = new byte[5 + dictionary.Length];
        stored[0] = 0; // BFINAL 0, BTYPE 00 (stored), padded to the byte
        BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(1), (ushort)dictionary.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(stored.AsSpan(3), (ushort)~dictionary.Length);
        dictionary.CopyTo(stored.AsSpan(5));
        _input.Add(stored);
        _inflate = new DeflateStream(_input, CompressionMode.Decompress);
        _inflate.ReadExactly(new byte[dictionary.Length]);
    }

    /// <summary>The headers of one block (names lowercase as sent, multi-values split); throws <see cref="InvalidDataException"/>.</summary>
    public List<KeyValuePair<string, string>> Decode(ReadOnlySpan<byte> block)
    {
        if (!_started)
        {
            // The zlib header: deflate, a valid check, FDICT set, and the SPDY dictionary's Adler-32.
            if (block.Length < 6 || (block[0] & 0x0F) != 8 || ((block[0] << 8) | block[1]) % 31 != 0 || (block[1] & 0x20) == 0)
            {
                throw new InvalidDataException("the SPDY header block is not a zlib stream with a preset dictionary");
            }

            if (BinaryPrimitives.ReadUInt32BigEndian(block[2..]) != SpdyHeaderDictionary.Adler32)
            {
                throw new InvalidDataException("the SPDY header block was compressed with another dictionary than SPDY/3's");
            }

            block = block[6..];
            _started = true;
        }

        _input.Add(block.ToArray());
        var headers = new List<KeyValuePair<string, string>>();
        uint count = ReadUInt32();
        if (count > MaxHeaders)
        {
            throw new InvalidDataException($"a SPDY header block of {count} headers");
        }

        for (uint i = 0; i < count; i++)
        {
            var name = ReadString();
            foreach (var value in ReadString().Split('\0'))
            {
                headers.Add(new(name, value));
            }
        }

        return headers;
    }

    private uint ReadUInt32()
    {
        Span<byte> b = stackalloc byte[4];
        _inflate.ReadExactly(b);
        return BinaryPrimitives.ReadUInt32BigEndian(b);
    }

    private string ReadString()
    {
        uint n = ReadUInt32();
        if (n > MaxString)
        {
            throw new InvalidDataException($"a SPDY header of {n} bytes");
        }

        var bytes = new byte[n];
        _inflate.ReadExactly(bytes);
        return Encoding.UTF8.GetString(bytes);
    }

    public void Dispose() => _inflate.Dispose();

    /// <summary>The compressed bytes received so far; reading past them is a truncated header block, never the end of the stream.</summary>
    private sealed class PendingInput : Stream
    {
        private readonly Queue<byte[]> _chunks = new();
        private int _offset;

        public void Add(byte[] chunk)
        {
            if (chunk.Length > 0)
            {
                _chunks.Enqueue(chunk);
            }
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_chunks.Count == 0)
            {
                throw new InvalidDataException("a SPDY header block ended before its headers");
            }

            var chunk = _chunks.Peek();
            int n = Math.Min(buffer.Length, chunk.Length - _offset);
            chunk.AsSpan(_offset, n).CopyTo(buffer);
            _offset += n;
            if (_offset == chunk.Length)
            {
                _chunks.Dequeue();
                _offset = 0;
            }

            return n;
        }

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        // The members below are .NET's documented contract for a read-only stream that cannot seek (CanSeek and
        // CanWrite are false): they throw NotSupportedException. DeflateStream, the only reader, never calls them.
        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}

/// <summary>Writes this side's header blocks: one zlib stream for the session, sync-flushed after each block (no dictionary is needed to send).</summary>
internal sealed class SpdyHeaderEncoder : IDisposable
{
    private readonly MemoryStream _output = new();
    private readonly ZLibStream _zlib;

    public SpdyHeaderEncoder() => _zlib = new ZLibStream(_output, CompressionLevel.Fastest, leaveOpen: true);

    public byte[] Encode(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        var block = new MemoryStream();
        Span<byte> n = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(n, headers.Count);
        block.Write(n);
        foreach (var (name, value) in headers)
        {
            foreach (var s in new[] { name, value })
            {
                var bytes = Encoding.UTF8.GetBytes(s);
                BinaryPrimitives.WriteInt32BigEndian(n, bytes.Length);
                block.Write(n);
                block.Write(bytes);
            }
        }

        _zlib.Write(block.ToArray());
        _zlib.Flush();
        var compressed = _output.ToArray();
        _output.SetLength(0);
        return compressed;
    }

    public void Dispose()
    {
        _zlib.Dispose();
        _output.Dispose();
    }
}
