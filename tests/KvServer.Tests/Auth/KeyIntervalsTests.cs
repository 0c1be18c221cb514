using System.Text;
using KvCluster.KvServer.Auth;

namespace KvCluster.KvServer.Tests.Auth;

public sealed class KeyIntervalsTests
{
    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private static KeyIntervals Of(params (string Key, string End)[] perms) =>
        new(perms.Select(p => KeyIntervals.Of(K(p.Key), p.End == "\0" ? [0] : K(p.End))));

    private static bool Covers(KeyIntervals i, string key, string end = "")
    {
        var (s, e) = KeyIntervals.Of(K(key), end == "\0" ? [0] : K(end));
        return i.Covers(s, e);
    }

    [Theory]
    [InlineData("a", "", "a", "", true)]      // single key
    [InlineData("a", "", "b", "", false)]
    [InlineData("a", "", "a", "b", false)]    // [a, b) holds more than "a"
    [InlineData("a", "c", "b", "", true)]     // range permission covers a key inside
    [InlineData("a", "c", "c", "", false)]    // the end is exclusive
    [InlineData("a", "c", "a", "c", true)]
    [InlineData("a", "c", "a", "d", false)]
    [InlineData("foo", "\0", "zzz", "", true)] // open-ended permission
    [InlineData("foo", "\0", "foo", "\0", true)]
    [InlineData("foo", "\0", "fo", "", false)]
    [InlineData("a", "z", "b", "\0", false)]  // an open request needs an open permission
    public void SinglePermission(string pk, string pe, string rk, string re, bool expected) =>
        Assert.Equal(expected, Covers(Of((pk, pe)), rk, re));

    [Fact]
    public void AdjacentPermissionsMergeAndGapsDoNot()
    {
        var merged = Of(("a", "c"), ("c", "e"));
        Assert.True(Covers(merged, "a", "e"));
        Assert.True(Covers(merged, "b", "d"));
        var gap = Of(("a", "c"), ("d", "f"));
        Assert.False(Covers(gap, "a", "f"));
        Assert.True(Covers(gap, "d", "f"));
        var overlapping = Of(("m", "p"), ("a", "n"), ("o", "\0"));
        Assert.True(Covers(overlapping, "a", "\0"));
    }
}
