using System.Diagnostics;
using Grpc.Net.Client;
using KvCluster.JepsenLite.Faults;
using KvCluster.KvServer.Api;

namespace KvCluster.KvServer.Tests.Infra;

/// <summary>One kvserver of a test cluster: its own process, data dir, client port and peer port.</summary>
public sealed class ClusterMemberProcess(string name, int peerPort, int advertisedPeerPort, Func<string> initialCluster, string token, string[] flags)
    : ServerProcess("kvmember")
{
    public string Name { get; } = name;

    public int PeerPort { get; } = peerPort;

    public int AdvertisedPeerPort { get; } = advertisedPeerPort;

    public string State { get; set; } = "new";

    protected override (string File, IEnumerable<string> Args) Command(IReadOnlyList<string> extraFlags) =>
        ("dotnet",
        [
            KvServerProcess.Dll, "--name", Name, "--data-dir", DataDir, "--listen-client-urls", Url, "--advertise-client-urls", Url,
            "--listen-peer-urls", $"http://127.0.0.1:{PeerPort}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{AdvertisedPeerPort}",
            "--initial-cluster", initialCluster(), "--initial-cluster-token", token, "--initial-cluster-state", State, .. flags, .. extraFlags,
        ]);
}

/// <summary>
/// N kvserver members on 127.0.0.1, each a separate OS process, optionally each behind a
/// <see cref="PeerProxy"/> so a test can cut members off. Heartbeat 50 ms, election timeout 500 ms.
/// Every process is stopped by PID on dispose.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    private readonly List<PeerProxy> _proxies = [];
    private readonly List<ClusterMemberProcess> _members = [];
    private readonly string _token = $"test-{Guid.NewGuid():N}";
    private readonly string[] _flags;
    private readonly Dictionary<int, GrpcChannel> _channels = [];

    private TestCluster(int n, bool proxied, int heartbeatMs, int electionMs, string[] extraFlags)
    {
        _flags = ["--heartbeat-interval", $"{heartbeatMs}", "--election-timeout", $"{electionMs}", .. extraFlags];
        for (int i = 0; i < n; i++)
        {
            int peer = Processes.FreePort();
            int advertised = proxied ? Processes.FreePort() : peer;
            _members.Add(new ClusterMemberProcess($"m{i}", peer, advertised, InitialCluster, _token, _flags));
        }

        var members = _members;
        if (proxied)
        {
            for (int i = 0; i < n; i++)
            {
                _proxies.Add(new PeerProxy(i, members[i].AdvertisedPeerPort, members[i].PeerPort, MemberOfPid));
            }
        }
    }

    public IReadOnlyList<ClusterMemberProcess> Members => _members;

    /// <summary>A new member (not started) to join the running cluster with --initial-cluster-state existing.</summary>
    public ClusterMemberProcess NewMember()
    {
        int peer = Processes.FreePort();
        var m = new ClusterMemberProcess($"m{_members.Count}", peer, peer, InitialCluster, _token, _flags) { State = "existing" };
        _members.Add(m);
        return m;
    }

    public string InitialCluster() => string.Join(",", Members.Select(m => $"{m.Name}=http://127.0.0.1:{m.AdvertisedPeerPort}"));

    public static async Task<TestCluster> StartAsync(int n, bool proxied = false, int heartbeatMs = 50, int electionMs = 500, params string[] extraFlags)
    {
        var c = new TestCluster(n, proxied, heartbeatMs, electionMs, extraFlags);
        foreach (var m in c.Members)
        {
            m.Launch();
        }

        await Task.WhenAll(c.Members.Select(m => m.WaitHealthyAsync()));
        return c;
    }

    public GrpcChannel Channel(int i)
    {
        lock (_channels)
        {
            if (!_channels.TryGetValue(i, out var ch))
            {
                ch = GrpcChannel.ForAddress(Members[i].Url);
                _channels[i] = ch;
            }

            return ch;
        }
    }

    public KV.KVClient Kv(int i) => new(Channel(i));

    public Api.Maintenance.MaintenanceClient Maintenance(int i) => new(Channel(i));

    /// <summary>Waits until every running member (but <paramref name="except"/>) names the same leader; returns its index.</summary>
    public async Task<int> WaitForLeaderAsync(TimeSpan timeout, params int[] except)
    {
        var deadline = Stopwatch.StartNew();
        string last = "";
        while (deadline.Elapsed < timeout)
        {
            var leaders = new List<ulong>();
            var ids = new Dictionary<ulong, int>();
            foreach (int i in Enumerable.Range(0, Members.Count).Except(except))
            {
                try
                {
                    var s = await Maintenance(i).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(1));
                    leaders.Add(s.Leader);
                    ids[s.Header.MemberId] = i;
                }
                catch (Grpc.Core.RpcException e)
                {
                    last = e.Status.Detail;
                    leaders.Add(0);
                }
            }

            if (leaders.Count > 0 && leaders[0] != 0 && leaders.All(l => l == leaders[0]) && ids.TryGetValue(leaders[0], out int index))
            {
                return index;
            }

            last = string.Join(",", leaders.Select(l => l.ToString("x")));
            await Task.Delay(20);
        }

        throw new TimeoutException($"no agreed leader in {timeout}: {last}");
    }

    /// <summary>Silently cuts member <paramref name="i"/>'s peer traffic in both directions (proxied clusters only).</summary>
    public void Isolate(int i)
    {
        foreach (var p in _proxies)
        {
            p.Cut(m => m == i);
        }
    }

    /// <summary>Who connected to whom through the proxies, e.g. "m0<-[1,2] m1<-[0]".</summary>
    public string Links() => string.Join(" ", _proxies.Select(p => $"m{p.Member}<-[{string.Join(",", p.Sources)}]"));

    public void Heal()
    {
        foreach (var p in _proxies)
        {
            p.Heal();
        }
    }

    /// <summary>Restarts a killed member on its data dir (the channel to it is renewed).</summary>
    public async Task RestartAsync(int i)
    {
        lock (_channels)
        {
            if (_channels.Remove(i, out var ch))
            {
                ch.Dispose();
            }
        }

        Members[i].Launch();
        await Members[i].WaitHealthyAsync();
    }

    private int MemberOfPid(int pid)
    {
        for (int i = 0; i < Members.Count; i++)
        {
            if (Members[i].Pid == pid)
            {
                return i;
            }
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var ch in _channels.Values)
        {
            ch.Dispose();
        }

        foreach (var m in Members)
        {
            await m.DisposeAsync();
        }

        foreach (var p in _proxies)
        {
            await p.DisposeAsync();
        }
    }
}
