using System.Text.Json.Nodes;
using KvCluster.JepsenLite.Checker;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Tests;

/// <summary>The lease promises on hand-written histories with times: "MS PROCESS TYPE F KEY [VALUE]" per line.</summary>
public sealed class LeaseCheckerTests
{
    private static List<Operation> Timed(string text)
    {
        var ops = new List<Op>();
        foreach (var line in text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0))
        {
            var p = line.Split(' ', 6, StringSplitOptions.RemoveEmptyEntries);
            var type = Enum.Parse<OpType>(p[2], ignoreCase: true);
            ops.Add(new Op(ops.Count, int.Parse(p[1]), type, p[3], p[4], p.Length > 5 ? JsonNode.Parse(p[5]) : null, long.Parse(p[0]) * 1_000_000));
        }

        return HistoryFile.Pair(ops);
    }

    private const string Granted = """
        0 0 invoke grant k 3
        10 0 ok grant k [7,3]
        20 0 invoke put k 7
        30 0 ok put k 7
        """;

    [Theory]
    [InlineData("renewed, read, revoked, gone", """
        1000 0 invoke keepalive k 7
        1010 0 ok keepalive k 3
        1500 0 invoke read k
        1510 0 ok read k true
        2000 0 invoke revoke k 7
        2010 0 ok revoke k 7
        2100 0 invoke read k
        2110 0 ok read k false
        """)]
    [InlineData("expired after the renewals stopped", """
        1000 0 invoke keepalive k 3
        1010 0 ok keepalive k 3
        4500 0 invoke read k
        4510 0 ok read k false
        """)]
    [InlineData("present a little after its TTL (expiry may lag)", """
        4000 0 invoke read k
        4010 0 ok read k true
        """)]
    [InlineData("absent while a revoke was under way", """
        500 0 invoke revoke k 7
        2500 0 info revoke k 7
        600 1 invoke read k
        610 1 ok read k false
        """)]
    public void Histories_that_keep_the_promises_are_valid(string name, string rest)
    {
        var result = LeaseChecker.Check(Timed(Granted + "\n" + rest));
        Assert.True(result.Validity == Validity.Valid, name + ": " + string.Join("; ", result.Violations.Select(v => v.Message)));
    }

    [Theory]
    [InlineData("kept alive", """
        1000 0 invoke keepalive k 7
        1010 0 ok keepalive k 3
        3000 0 invoke read k
        3010 0 ok read k false
        """)]
    [InlineData("kept alive", """
        1500 0 invoke read k
        1510 0 ok read k false
        """)]
    [InlineData("revoked", """
        1000 0 invoke revoke k 7
        1010 0 ok revoke k 7
        1100 0 invoke read k
        1110 0 ok read k true
        """)]
    [InlineData("expired", """
        1000 0 invoke keepalive k 7
        1010 0 ok keepalive k 3
        20000 0 invoke read k
        20010 0 ok read k true
        """)]
    public void Broken_promises_are_found(string kind, string rest)
    {
        var result = LeaseChecker.Check(Timed(Granted + "\n" + rest));
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Contains(result.Violations, v => v.Kind == kind);
    }

    [Fact]
    public void A_key_whose_put_failed_must_never_be_read()
    {
        var result = LeaseChecker.Check(Timed("""
            0 0 invoke grant k 3
            10 0 ok grant k [7,3]
            20 0 invoke put k 7
            30 0 fail put k 7
            40 0 invoke read k
            50 0 ok read k true
            """));
        Assert.Contains(result.Violations, v => v.Kind == "never put");
    }
}
