using KvCluster.KvServer.Hosting.Http2;

namespace KvCluster.KvServer.Tests;

/// <summary>The request examples of RFC 7541 Appendix C, decoded in sequence on one connection.</summary>
public sealed class HpackTests
{
    private static byte[] Hex(string s) => Convert.FromHexString(s.Replace(" ", "", StringComparison.Ordinal));

    private static void AssertBlock(HpackDecoder d, string hex, params (string, string)[] expected) =>
        Assert.Equal(expected, d.Decode(Hex(hex)));

    [Fact]
    public void RequestsWithoutHuffmanCoding_C3()
    {
        var d = new HpackDecoder();
        AssertBlock(d, "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"));
        AssertBlock(d, "8286 84be 5808 6e6f 2d63 6163 6865",
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache"));
        AssertBlock(d, "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
            (":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value"));
    }

    [Fact]
    public void RequestsWithHuffmanCoding_C4()
    {
        var d = new HpackDecoder();
        AssertBlock(d, "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"));
        AssertBlock(d, "8286 84be 5886 a8eb 1064 9cbf",
            (":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", "www.example.com"), ("cache-control", "no-cache"));
        AssertBlock(d, "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
            (":method", "GET"), (":scheme", "https"), (":path", "/index.html"), (":authority", "www.example.com"), ("custom-key", "custom-value"));
    }

    [Fact]
    public void AnIndexBeyondTheTablesIsAnError()
    {
        var d = new HpackDecoder();
        Assert.Throws<FormatException>(() => d.Decode(Hex("be")));
    }

    [Theory]
    [InlineData("127.0.0.1:2379", null)]
    [InlineData("http://127.0.0.1:2379", "127.0.0.1:2379")]
    [InlineData("https://node-1.example:2379/", "node-1.example:2379")]
    [InlineData("localhost", null)]
    public void AnAuthorityWrittenAsAUrlIsCutToHostAndPort(string authority, string? fixedTo) =>
        Assert.Equal(fixedTo, AuthorityRewriter.Fix(authority));
}
