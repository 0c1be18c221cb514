using System.Text.RegularExpressions;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>etcdctl 3.4 commands whose output holds random ids or timings, checked against kvserver alone.</summary>
public sealed partial class EtcdctlMatrixTests : IAsyncLifetime
{
    private readonly KvServerProcess _server = new();

    public Task InitializeAsync() => _server.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<string> Ok(string args, string? stdin = null)
    {
        var r = await Etcdctl.RunAsync(_server, args, stdin);
        Assert.True(r.ExitCode == 0, $"etcdctl {args}\n{r}\nserver:\n{_server.Output}");
        return r.Stdout;
    }

    [Fact]
    public async Task WatchDeliversHistoryLiveEventsAndPrevKv()
    {
        await Ok("put foo/a 1");
        await Ok("put foo/a 2");
        // From revision 2: the history first, then live events, until etcdctl is stopped.
        var watch = Etcdctl.RunAsync(_server, "watch foo/ --prefix --rev 2 --prev-kv", timeout: TimeSpan.FromSeconds(6));
        await Task.Delay(2000);
        await Ok("put foo/b 3");
        await Ok("del foo/a");
        await Ok("put other x");
        var r = await watch;
        var lines = r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["PUT", "foo/a", "1", "PUT", "foo/a", "1", "foo/a", "2", "PUT", "foo/b", "3", "DELETE", "foo/a", "2", "foo/a"], lines);
    }

    [Fact]
    public async Task InteractiveWatchAndCompactedRevision()
    {
        await Ok("put k 1");
        await Ok("put k 2");
        await Ok("compaction 3");
        var r = await Etcdctl.RunAsync(_server, "watch k --rev 2", timeout: TimeSpan.FromSeconds(5));
        Assert.Contains("required revision has been compacted", r.Stdout + r.Stderr);
        var i = Etcdctl.RunAsync(_server, ["watch", "-i"], "watch k\n", TimeSpan.FromSeconds(5), keepStdinOpen: true);
        await Task.Delay(2000);
        await Ok("put k 3");
        var ri = await i;
        Assert.Contains("PUT\nk\n3", ri.Stdout);
    }

    [Fact]
    public async Task LeaseLifecycle()
    {
        var grant = await Ok("lease grant 100");
        var id = LeaseId().Match(grant).Groups[1].Value;
        Assert.Matches(@"^lease [0-9a-f]+ granted with TTL\(100s\)", grant);
        await Ok($"put --lease={id} leased v");
        // Each etcdctl run takes a moment on a loaded machine: the TTL left is a little under 100 s, not reset, not 0.
        var ttl = Regex.Match(await Ok($"lease timetolive {id} --keys"), @$"^lease {id} granted with TTL\(100s\), remaining\((\d+)s\), attached keys\(\[leased\]\)");
        Assert.True(ttl.Success, "lease timetolive --keys output");
        Assert.InRange(int.Parse(ttl.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), 90, 100);
        Assert.Equal($"found 1 leases\n{id}\n", await Ok("lease list"));
        Assert.Matches(@$"lease {id} keepalived with TTL\(100\)", await Ok($"lease keep-alive --once {id}"));
        Assert.Equal($"lease {id} revoked\n", await Ok($"lease revoke {id}"));
        Assert.Equal("", await Ok("get leased"));
        Assert.Equal($"lease {id} already expired\n", await Ok($"lease timetolive {id}"));
        var missing = await Etcdctl.RunAsync(_server, $"lease revoke {id}");
        Assert.Contains("Error: failed to revoke lease (etcdserver: requested lease not found)", missing.Stderr);
    }

    [Fact]
    public async Task ShortLeaseExpiresAndDeletesItsKeys()
    {
        // 5 s: each etcdctl run is a process start, and on a loaded machine two of them took over 2 s (the lease
        // expired before the put that attaches to it).
        var id = LeaseId().Match(await Ok("lease grant 5")).Groups[1].Value;
        await Ok($"put --lease={id} a 1");
        await Ok($"put --lease={id} b 2");
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline && (await Ok("get a b")).Length > 0)
        {
            await Task.Delay(250);
        }

        Assert.Equal("", await Ok("get a c"));
    }

    /// <summary>
    /// With endpoints written as URLs, etcdctl sends "http://127.0.0.1:port" as the HTTP/2 authority
    /// of its per-endpoint calls; Kestrel alone resets those streams (PROTOCOL_ERROR).
    /// </summary>
    [Fact]
    public async Task MaintenanceCommandsWithEndpointsWrittenAsUrls()
    {
        string url = $"--endpoints http://{_server.Endpoint}";
        await Ok($"{url} put a 1");
        Assert.Equal("a\n1\n", await Ok($"{url} get a"));
        Assert.Contains("\"revision\":2", await Ok($"{url} endpoint status -w json"));
        Assert.Matches(@"^http://127\.0\.0\.1:\d+, [1-9]\d*\n$", await Ok($"{url} endpoint hashkv"));
        Assert.Matches(@"Finished defragmenting etcd member\[http://127\.0\.0\.1:\d+\]", await Ok($"{url} defrag"));
        string file = Path.Combine(Path.GetTempPath(), $"snap-{Guid.NewGuid():N}.db");
        try
        {
            Assert.Contains("Snapshot saved at", await Ok($"{url} snapshot save {file}"));
            Assert.True(new FileInfo(file).Length > 0);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task MaintenanceCommands()
    {
        for (int i = 0; i < 20; i++)
        {
            await Ok($"put k{i % 3} v{i}");
        }

        Assert.Equal("compacted revision 15\n", await Ok("compaction --physical 15"));
        Assert.Matches(@"Finished defragmenting etcd member\[127\.0\.0\.1:\d+\]", await Ok("defrag"));
        Assert.Matches(@"127\.0\.0\.1:\d+ is healthy: successfully committed proposal: took = ", (await Etcdctl.RunAsync(_server, "endpoint health")).Stderr + (await Etcdctl.RunAsync(_server, "endpoint health")).Stdout);
        var status = await Ok("endpoint status -w json");
        Assert.Contains("\"version\":\"3.5.", status);
        Assert.Contains("\"revision\":21", status);
        Assert.Matches(@"^127\.0\.0\.1:\d+, [1-9]\d*\n$", await Ok("endpoint hashkv --rev 21"));
        Assert.Matches(@"^[0-9a-f]+, started, default, http://127\.0\.0\.1:2380, http://127\.0\.0\.1:\d+, false\n$", await Ok("member list"));
        Assert.Equal("", await Ok("alarm list"));
    }

    [Fact]
    public async Task SnapshotSaveAndRestoreIntoANewMember()
    {
        for (int i = 0; i < 50; i++)
        {
            await Ok($"put snap/{i:D2} value-{i}");
        }

        var file = Path.Combine(_server.DataDir + "-snap.db");
        var dir = _server.DataDir + "-restored";
        try
        {
            Assert.Contains("Snapshot saved at", await Ok($"snapshot save {file}"));
            var restore = await Processes.RunAsync("dotnet", [KvServerProcess.Dll, "snapshot", "restore", file, "--data-dir", dir]);
            Assert.True(restore.ExitCode == 0, restore.ToString());
            await using var restored = new RestoredServer(dir);
            await restored.StartAsync();
            var r = await Etcdctl.RunAsync(restored, "get snap/ --prefix -w json");
            Assert.Contains("\"count\":50", r.Stdout);
            Assert.Equal("snap/49\nvalue-49\n", (await Etcdctl.RunAsync(restored, "get snap/49")).Stdout);
            var again = await Processes.RunAsync("dotnet", [KvServerProcess.Dll, "snapshot", "restore", file, "--data-dir", dir]);
            Assert.Contains("exists", again.Stderr);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task LockIsExclusiveAndElectionHasOneLeader()
    {
        Assert.Equal("locked\n", await Ok("lock mylock echo locked"));
        var holder = Etcdctl.RunAsync(_server, "lock L", timeout: TimeSpan.FromSeconds(4));
        await Task.Delay(1500);
        var started = DateTime.UtcNow;
        var second = await Etcdctl.RunAsync(_server, "lock L echo second", timeout: TimeSpan.FromSeconds(20));
        var holderResult = await holder;
        Assert.StartsWith("L/", holderResult.Stdout);
        Assert.Equal("second\n", second.Stdout);
        Assert.True(DateTime.UtcNow - started > TimeSpan.FromSeconds(1.5), "the second locker must wait for the first");

        // Both run until stopped: the observer gets 4 s to connect and print the leader, on a loaded machine too.
        var leader = Etcdctl.RunAsync(_server, "elect E proposal-1", timeout: TimeSpan.FromSeconds(8));
        await Task.Delay(1500);
        var observer = await Etcdctl.RunAsync(_server, "elect -l E", timeout: TimeSpan.FromSeconds(4));
        await leader;
        Assert.Contains("proposal-1", observer.Stdout);
        Assert.StartsWith("E/", observer.Stdout);
    }

    [GeneratedRegex("lease ([0-9a-f]+) granted")]
    private static partial Regex LeaseId();

    private sealed class RestoredServer(string dir) : ServerProcess("kvserver-restored")
    {
        protected override (string File, IEnumerable<string> Args) Command(IReadOnlyList<string> extraFlags) =>
            ("dotnet", [KvServerProcess.Dll, "--data-dir", dir, "--listen-client-urls", Url, "--advertise-client-urls", Url]);
    }
}
