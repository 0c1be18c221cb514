using System.Text;

namespace KvCluster.KvServer.Hosting.Http2;

/// <summary>
/// An HPACK (RFC 7541) decoder for request header blocks: integers, string literals (plain and
/// Huffman-coded), the static table and the connection's dynamic table. It is what lets
/// <see cref="AuthorityRewriter"/> read and rewrite a client's header block before Kestrel does.
/// </summary>
public sealed class HpackDecoder
{
    private readonly List<(string Name, string Value)> _dynamic = [];
    private int _size;
    private int _maxSize = 4096;

    public static (string Name, string Value) StaticEntry(int index) => StaticTable[index - 1];

    /// <summary>Decodes one complete header block (a HEADERS frame and its CONTINUATIONs, without padding or priority).</summary>
    /// <exception cref="FormatException">The block is not valid HPACK.</exception>
    public List<(string Name, string Value)> Decode(ReadOnlySpan<byte> block)
    {
        var headers = new List<(string, string)>();
        int pos = 0;
        while (pos < block.Length)
        {
            byte b = block[pos];
            if ((b & 0x80) != 0)
            {
                // Indexed header field.
                int index = ReadInteger(block, ref pos, 7);
                headers.Add(Lookup(index));
            }
            else if ((b & 0x40) != 0)
            {
                // Literal with incremental indexing.
                var field = ReadLiteral(block, ref pos, 6);
                headers.Add(field);
                Insert(field);
            }
            else if ((b & 0x20) != 0)
            {
                // Dynamic table size update.
                int size = ReadInteger(block, ref pos, 5);
                _maxSize = size;
                Evict();
            }
            else
            {
                // Literal without indexing (0000) or never indexed (0001).
                headers.Add(ReadLiteral(block, ref pos, 4));
            }
        }

        return headers;
    }

    private (string, string) ReadLiteral(ReadOnlySpan<byte> block, ref int pos, int prefix)
    {
        int index = ReadInteger(block, ref pos, prefix);
        string name = index == 0 ? ReadString(block, ref pos) : Lookup(index).Name;
        return (name, ReadString(block, ref pos));
    }

    private (string Name, string Value) Lookup(int index)
    {
        if (index <= 0)
        {
            throw new FormatException("HPACK index 0");
        }

        if (index <= StaticTable.Length)
        {
            return StaticTable[index - 1];
        }

        int d = index - StaticTable.Length - 1;
        return d < _dynamic.Count ? _dynamic[d] : throw new FormatException($"HPACK index {index} beyond the dynamic table");
    }

    private void Insert((string Name, string Value) field)
    {
        int size = EntrySize(field);
        _dynamic.Insert(0, field);
        _size += size;
        Evict();
    }

    private void Evict()
    {
        while (_size > _maxSize && _dynamic.Count > 0)
        {
            _size -= EntrySize(_dynamic[^1]);
            _dynamic.RemoveAt(_dynamic.Count - 1);
        }
    }

    private static int EntrySize((string Name, string Value) f) => Encoding.UTF8.GetByteCount(f.Name) + Encoding.UTF8.GetByteCount(f.Value) + 32;

    /// <summary>An HPACK integer with an N-bit prefix (RFC 7541 §5.1).</summary>
    public static int ReadInteger(ReadOnlySpan<byte> block, ref int pos, int prefix)
    {
        int max = (1 << prefix) - 1;
        int value = block[pos++] & max;
        if (value < max)
        {
            return value;
        }

        int shift = 0;
        while (true)
        {
            if (pos >= block.Length || shift > 28)
            {
                throw new FormatException("HPACK integer truncated or too large");
            }

            byte b = block[pos++];
            value += (b & 0x7f) << shift;
            shift += 7;
            if ((b & 0x80) == 0)
            {
                return value;
            }
        }
    }

    private static string ReadString(ReadOnlySpan<byte> block, ref int pos)
    {
        if (pos >= block.Length)
        {
            throw new FormatException("HPACK string truncated");
        }

        bool huffman = (block[pos] & 0x80) != 0;
        int length = ReadInteger(block, ref pos, 7);
        if (length > block.Length - pos)
        {
            throw new FormatException("HPACK string longer than its block");
        }

        var raw = block.Slice(pos, length);
        pos += length;
        return huffman ? Huffman.Decode(raw) : Encoding.UTF8.GetString(raw);
    }

    /// <summary>RFC 7541 Appendix A.</summary>
    private static readonly (string Name, string Value)[] StaticTable =
    [
        (":authority", ""),
        (":method", "GET"),
        (":method", "POST"),
        (":path", "/"),
        (":path", "/index.html"),
        (":scheme", "http"),
        (":scheme", "https"),
        (":status", "200"),
        (":status", "204"),
        (":status", "206"),
        (":status", "304"),
        (":status", "400"),
        (":status", "404"),
        (":status", "500"),
        ("accept-charset", ""),
        ("accept-encoding", "gzip, deflate"),
        ("accept-language", ""),
        ("accept-ranges", ""),
        ("accept", ""),
        ("access-control-allow-origin", ""),
        ("age", ""),
        ("allow", ""),
        ("authorization", ""),
        ("cache-control", ""),
        ("content-disposition", ""),
        ("content-encoding", ""),
        ("content-language", ""),
        ("content-length", ""),
        ("content-location", ""),
        ("content-range", ""),
        ("content-type", ""),
        ("cookie", ""),
        ("date", ""),
        ("etag", ""),
        ("expect", ""),
        ("expires", ""),
        ("from", ""),
        ("host", ""),
        ("if-match", ""),
        ("if-modified-since", ""),
        ("if-none-match", ""),
        ("if-range", ""),
        ("if-unmodified-since", ""),
        ("last-modified", ""),
        ("link", ""),
        ("location", ""),
        ("max-forwards", ""),
        ("proxy-authenticate", ""),
        ("proxy-authorization", ""),
        ("range", ""),
        ("referer", ""),
        ("refresh", ""),
        ("retry-after", ""),
        ("server", ""),
        ("set-cookie", ""),
        ("strict-transport-security", ""),
        ("transfer-encoding", ""),
        ("user-agent", ""),
        ("vary", ""),
        ("via", ""),
        ("www-authenticate", ""),
    ];
}
