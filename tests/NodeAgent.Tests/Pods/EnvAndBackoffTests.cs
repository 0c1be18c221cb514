using KvCluster.NodeAgent.Pods;

namespace KvCluster.NodeAgent.Tests.Pods;

public sealed class EnvAndBackoffTests
{
    private static readonly List<KeyValuePair<string, string>> Env = [new("A", "1"), new("NAME", "web")];

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("$(A)", "1")]
    [InlineData("x-$(NAME)-$(A)", "x-web-1")]
    [InlineData("$(MISSING)", "$(MISSING)")]
    [InlineData("$$(A)", "$(A)")]
    [InlineData("cost $5", "cost $5")]
    [InlineData("$(unclosed", "$(unclosed")]
    [InlineData("end$", "end$")]
    public void ExpansionReplacesDefinedNamesOnly(string input, string expected) => Assert.Equal(expected, EnvResolver.Expand(input, Env));

    [Fact]
    public void BackOffDoublesFromTenSecondsToFiveMinutesAndResetsAfterTenMinutesRunning()
    {
        var backoff = Backoff.Restart();
        var delays = Enumerable.Range(0, 8).Select(_ => backoff.Next(TimeSpan.FromSeconds(1)).TotalSeconds).ToList();
        Assert.Equal([10, 20, 40, 80, 160, 300, 300, 300], delays);
        Assert.Equal(10, backoff.Next(TimeSpan.FromMinutes(10)).TotalSeconds);
        Assert.Equal(20, backoff.Next(TimeSpan.FromSeconds(3)).TotalSeconds);
    }
}
