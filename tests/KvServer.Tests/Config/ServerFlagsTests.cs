using System.CommandLine;
using KvCluster.KvServer.Config;

namespace KvCluster.KvServer.Tests.Config;

public sealed class ServerFlagsTests
{
    private static ServerConfig Bind(string[] args, Dictionary<string, string>? env = null)
    {
        var flags = new ServerFlags();
        var root = new RootCommand();
        foreach (var o in flags.All)
        {
            root.Options.Add(o);
        }

        var result = root.Parse(args);
        Assert.Empty(result.Errors);
        return flags.Bind(result, k => env is not null && env.TryGetValue(k, out var v) ? v : null);
    }

    [Fact]
    public void DefaultsAreEtcds()
    {
        var c = Bind([]);
        Assert.Equal("default", c.Name);
        Assert.Equal("default.etcd", c.DataDir);
        Assert.Equal("http://127.0.0.1:2379/", c.ListenClientUrls.Single().ToString());
        Assert.Equal(1_572_864, c.MaxRequestBytes);
        Assert.Equal(128, c.MaxTxnOps);
        Assert.Equal(2L << 30, c.EffectiveQuotaBytes);
        Assert.Equal(("periodic", "0"), (c.AutoCompactionMode, c.AutoCompactionRetention));
    }

    [Fact]
    public void FlagsTakeEitherFormAndBeatTheEnvironment()
    {
        var env = new Dictionary<string, string> { ["ETCD_NAME"] = "from-env", ["ETCD_MAX_TXN_OPS"] = "7", ["ETCD_CLIENT_CERT_AUTH"] = "true" };
        var c = Bind(["--name=n1", "--listen-client-urls", "http://127.0.0.1:1,http://127.0.0.1:2", "--quota-backend-bytes=1024"], env);
        Assert.Equal("n1", c.Name);
        Assert.Equal("n1.etcd", c.DataDir);
        Assert.Equal(2, c.ListenClientUrls.Count);
        Assert.Equal(c.ListenClientUrls, c.AdvertiseClientUrls);
        Assert.Equal(7, c.MaxTxnOps);
        Assert.Equal(1024, c.EffectiveQuotaBytes);
        Assert.True(c.ClientCertAuth);
    }

    [Theory]
    [InlineData("--max-txn-ops", "0")]
    [InlineData("--max-request-bytes", "lots")]
    [InlineData("--listen-client-urls", "ftp://x:1")]
    [InlineData("--auto-compaction-mode", "hourly")]
    public void BadValuesNameTheFlag(string flag, string value)
    {
        var e = Assert.Throws<FormatException>(() => Bind([flag, value]));
        Assert.Contains(flag, e.Message);
    }
}
