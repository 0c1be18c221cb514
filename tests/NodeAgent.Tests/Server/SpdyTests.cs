using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using KvCluster.NodeAgent.Server.PortForward;

namespace KvCluster.NodeAgent.Tests.Server;

/// <summary>The SPDY/3.1 pieces of port-forward: frames cut out of arbitrary pieces, and header blocks compressed against SPDY's dictionary.</summary>
public sealed class SpdyTests
{
    [Fact]
    public void Frames_are_cut_out_of_pieces_of_any_size()
    {
        var stream = new MemoryStream();
        stream.Write(Spdy.Reset(7, Spdy.Cancel));
        stream.Write(Spdy.Data(5, Spdy.FlagFin, Encoding.ASCII.GetBytes("hello")));
        stream.Write(Spdy.Data(3, 0, new byte[100_000]));
        var bytes = stream.ToArray();
        foreach (var piece in new[] { 1, 3, 8, 1000, bytes.Length })
        {
            var reader = new SpdyFrameReader();
            var frames = new List<SpdyFrame>();
            for (int i = 0; i < bytes.Length; i += piece)
            {
                reader.Append(bytes.AsSpan(i, Math.Min(piece, bytes.Length - i)));
                while (reader.TryRead(out var f))
                {
                    frames.Add(f);
                }
            }

            Assert.Equal(3, frames.Count);
            Assert.True(frames[0].IsControl);
            Assert.Equal(Spdy.RstStream, frames[0].Type);
            Assert.Equal(7u, BinaryPrimitives.ReadUInt32BigEndian(frames[0].Payload));
            Assert.Equal((false, 5u, true, "hello"), (frames[1].IsControl, frames[1].StreamId, frames[1].Fin, Encoding.ASCII.GetString(frames[1].Payload)));
            Assert.Equal((3u, false, 100_000), (frames[2].StreamId, frames[2].Fin, frames[2].Payload.Length));
        }
    }

    [Fact]
    public void A_frame_of_another_spdy_version_is_refused()
    {
        var frame = Spdy.Reset(1, Spdy.Cancel);
        frame[1] = 2;
        var reader = new SpdyFrameReader();
        reader.Append(frame);
        Assert.Throws<InvalidDataException>(() => reader.TryRead(out _));
    }

    [Fact]
    public void Header_blocks_compressed_against_the_dictionary_are_read_in_turn()
    {
        var peer = new DictionaryCompressor();
        var decoder = new SpdyHeaderDecoder();

        // "accept" and "content-type" are dictionary words: the compressed block refers back into the dictionary.
        var first = decoder.Decode(peer.Block([("streamtype", "error"), ("port", "8080"), ("requestid", "0"), ("accept", "a\0b")]));
        Assert.Equal([new("streamtype", "error"), new("port", "8080"), new("requestid", "0"), new("accept", "a"), new("accept", "b")], first);
        var second = decoder.Decode(peer.Block([("streamtype", "data"), ("content-type", "text/plain")]));
        Assert.Equal([new("streamtype", "data"), new("content-type", "text/plain")], second);
    }

    [Fact]
    public void A_header_block_with_another_dictionary_or_cut_short_is_refused()
    {
        var other = new DictionaryCompressor().Block([("port", "1")]);
        BinaryPrimitives.WriteUInt32BigEndian(other.AsSpan(2), 12345);
        Assert.Throws<InvalidDataException>(() => new SpdyHeaderDecoder().Decode(other));

        var whole = new DictionaryCompressor().Block([("port", "80"), ("streamtype", "data")]);
        Assert.Throws<InvalidDataException>(() => new SpdyHeaderDecoder().Decode(whole.AsSpan(0, 9)));
    }

    [Fact]
    public void This_sides_header_blocks_are_zlib_sync_flushed_in_one_stream()
    {
        var encoder = new SpdyHeaderEncoder();
        var stream = new MemoryStream();
        stream.Write(encoder.Encode([]));
        stream.Write(encoder.Encode([new("status", "200")]));
        stream.Position = 0;
        using var zlib = new ZLibStream(stream, CompressionMode.Decompress);
        var plain = new byte[4 + 4 + 4 + 6 + 4 + 3];
        zlib.ReadExactly(plain);
        Assert.Equal(0u, BinaryPrimitives.ReadUInt32BigEndian(plain));
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32BigEndian(plain.AsSpan(4)));
        Assert.Equal("status", Encoding.ASCII.GetString(plain, 12, 6));
        Assert.Equal("200", Encoding.ASCII.GetString(plain, 22, 3));
    }

    /// <summary>
    /// A peer's compressor with the preset dictionary: one raw deflate stream that starts with the dictionary, sync-flushed
    /// after it and after each block, so each block's bytes may refer back into the dictionary (what a preset dictionary
    /// is); the first block carries the zlib header naming the dictionary.
    /// </summary>
    private sealed class DictionaryCompressor
    {
        private readonly MemoryStream _out = new();
        private readonly DeflateStream _deflate;
        private bool _first = true;

        public DictionaryCompressor()
        {
            _deflate = new DeflateStream(_out, CompressionLevel.SmallestSize, leaveOpen: true);
            _deflate.Write(SpdyHeaderDictionary.Bytes);
            _deflate.Flush();
            _out.SetLength(0);
        }

        public byte[] Block(IReadOnlyList<(string Name, string Value)> headers)
        {
            var plain = new MemoryStream();
            void Int(int v)
            {
                Span<byte> b = stackalloc byte[4];
                BinaryPrimitives.WriteInt32BigEndian(b, v);
                plain.Write(b);
            }

            Int(headers.Count);
            foreach (var (n, v) in headers)
            {
                Int(n.Length);
                plain.Write(Encoding.ASCII.GetBytes(n));
                Int(v.Length);
                plain.Write(Encoding.ASCII.GetBytes(v));
            }

            _deflate.Write(plain.ToArray());
            _deflate.Flush();
            var body = _out.ToArray();
            _out.SetLength(0);
            if (!_first)
            {
                return body;
            }

            _first = false;
            var header = new byte[6];
            header[0] = 0x78;
            header[1] = 0x20; // FDICT
            header[1] += (byte)(31 - ((header[0] << 8) | header[1]) % 31);
            BinaryPrimitives.WriteUInt32BigEndian(header.AsSpan(2), SpdyHeaderDictionary.Adler32);
            return [.. header, .. body];
        }
    }
}
