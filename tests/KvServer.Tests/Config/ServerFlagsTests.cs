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

    [Fact]
    public void ClusterFlagsDefaultToThisMemberAloneWithEtcdsTimeouts()
    {
        var c = Bind([]);
        Assert.Equal([("default", new Uri("http://127.0.0.1:2380"))], c.InitialCluster);
        Assert.Equal(("new", 100, 1000), (c.InitialClusterState, c.HeartbeatIntervalMs, c.ElectionTimeoutMs));

        // As etcd: without --initial-cluster, a named member bootstraps alone at its advertised peer URLs.
        var named = Bind(["--name", "n1", "--initial-advertise-peer-urls", "http://127.0.0.1:12380", "--heartbeat-interval", "50", "--election-timeout=500"]);
        Assert.Equal([("n1", new Uri("http://127.0.0.1:12380"))], named.InitialCluster);
        Assert.Equal((50, 500), (named.HeartbeatIntervalMs, named.ElectionTimeoutMs));

        var env = Bind(["--name", "n1"], new() { ["ETCD_INITIAL_CLUSTER"] = "n1=http://127.0.0.1:1,n1=http://127.0.0.1:2", ["ETCD_INITIAL_CLUSTER_STATE"] = "existing" });
        Assert.Equal(2, env.InitialCluster.Count);
        Assert.Equal("existing", env.InitialClusterState);
    }

    // Messages as etcd 3.4.23 prints them for the same flags (checked by running it).
    [Theory]
    [InlineData("--election-timeout=100 --heartbeat-interval=100", "error verifying flags, --election-timeout[100ms] should be at least as 5 times as --heartbeat-interval[100ms]")]
    [InlineData("--election-timeout=60000", "error verifying flags, --election-timeout[60000ms] is too long, and should be set less than 50000ms")]
    [InlineData("--name=x --initial-cluster=y=http://127.0.0.1:2380", "couldn't find local name \"x\" in the initial cluster configuration")]
    [InlineData("--initial-cluster-state=bogus", "invalid value \"bogus\" for flag -initial-cluster-state: invalid value")]
    [InlineData("--initial-cluster=default=notaurl", "error setting up initial cluster: URL scheme must be http, https, unix, or unixs: notaurl")]
    public void ClusterFlagErrorsUseEtcdsWords(string args, string message)
    {
        var e = Assert.Throws<FormatException>(() => Bind(args.Split(' ')));
        Assert.Equal(message, e.Message);
    }

    [Fact]
    public void OtherMembersOrJoiningMakeAMemberReplicateThroughRaft()
    {
        Assert.True(Bind(["--name", "a", "--initial-cluster", "a=http://127.0.0.1:1,b=http://127.0.0.1:2,c=http://127.0.0.1:3"]).Clustered);
        Assert.True(Bind(["--name", "a", "--initial-cluster", "a=http://127.0.0.1:1", "--initial-cluster-state", "existing"]).Clustered);
        // One member listed under two peer URLs is still one member.
        Assert.False(Bind(["--name", "a", "--initial-cluster", "a=http://127.0.0.1:1,a=http://127.0.0.1:2"]).Clustered);
        Assert.False(Bind([]).Clustered);
    }

    [Fact]
    public void ClusterIdComesFromEveryInitialMemberAndTheToken()
    {
        var one = new Hosting.LocalMember(Bind([]));
        Assert.Equal(Hosting.LocalMember.ClusterIdOf([one.Id]), one.ClusterId);
        var other = new Hosting.LocalMember(Bind(["--initial-cluster-token", "t2"]));
        Assert.NotEqual(one.ClusterId, other.ClusterId);
        Assert.NotEqual(one.Id, other.Id);
    }
}
