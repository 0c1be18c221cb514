using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>--quota-backend-bytes: past the quota, writes fail with etcd's NOSPACE error and alarm; reads and deletes still work.</summary>
public sealed class QuotaTests
{
    [Fact]
    public async Task ExceedingTheQuotaRaisesNoSpaceUntilDisarmed()
    {
        await using var server = new KvServerProcess();
        await server.StartAsync("--quota-backend-bytes", "1048576");
        var value = new string('v', 100_000);
        Processes.Result? refused = null;
        for (int i = 0; i < 40 && refused is null; i++)
        {
            var r = await Etcdctl.RunAsync(server, ["put", $"big/{i}", value]);
            if (r.ExitCode != 0)
            {
                refused = r;
            }
        }

        Assert.NotNull(refused);
        Assert.Contains("Error: etcdserver: mvcc: database space exceeded", refused.Stderr);
        var alarms = await Etcdctl.RunAsync(server, "alarm list");
        Assert.Matches(@"^memberID:\d+ alarm:NOSPACE \n$", alarms.Stdout);
        Assert.Contains("alarm:NOSPACE", (await Etcdctl.RunAsync(server, "endpoint status -w json")).Stdout);

        // Reads and deletes still work while the alarm is on; puts do not, even small ones.
        Assert.Equal(0, (await Etcdctl.RunAsync(server, "get big/0 --keys-only")).ExitCode);
        Assert.Contains("space exceeded", (await Etcdctl.RunAsync(server, "put small x")).Stderr);
        Assert.Equal("1\n", (await Etcdctl.RunAsync(server, "del big/0")).Stdout);
        using (var http = new HttpClient())
        {
            var health = await http.GetAsync($"{server.Url}/health");
            Assert.Equal(System.Net.HttpStatusCode.ServiceUnavailable, health.StatusCode);
            Assert.Equal("{\"health\":\"false\",\"reason\":\"ALARM NOSPACE\"}", await health.Content.ReadAsStringAsync());
        }

        // Disarming clears the alarm; the store is still over quota, so the next big write raises it again.
        Assert.Matches(@"^memberID:\d+ alarm:NOSPACE \n$", (await Etcdctl.RunAsync(server, "alarm disarm")).Stdout);
        Assert.Equal("", (await Etcdctl.RunAsync(server, "alarm list")).Stdout);
        Assert.Contains("space exceeded", (await Etcdctl.RunAsync(server, ["put", "big/again", value])).Stderr);
        Assert.Contains("alarm:NOSPACE", (await Etcdctl.RunAsync(server, "alarm list")).Stdout);
    }
}
