using System.Diagnostics;
using Grpc.Net.Client;
using KvCluster.JepsenLite.Faults;
using KvCluster.KvServer.Api;

namespace KvCluster.JepsenLite.Cluster;

/// <summary>
/// N members on 127.0.0.1, each a separate process behind a <see cref="PeerProxy"/> on its peer port,
/// fresh data dirs under the run's directory. Partitions cut proxied links silently (no resets: the
/// members see silence, as with dropped packets). Every process is stopped by PID on dispose.
/// </summary>
public sealed class LocalCluster : IAsyncDisposable
{
    private readonly List<Member> _members = [];
    private readonly List<PeerProxy> _proxies = [];
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(2) };
    private readonly Dictionary<int, GrpcChannel> _channels = [];

    public LocalCluster(Target target, string binary, int nodes, string dir, int heartbeatMs = 100, int electionMs = 1000)
    {
        var token = $"jepsen-lite-{Guid.NewGuid():N}";
        Directory.CreateDirectory(Path.Combine(dir, "members"));
        for (var i = 0; i < nodes; i++)
        {
            var name = $"n{i + 1}";
            _members.Add(new Member(target, binary, name, Path.Combine(dir, "data", name), Path.Combine(dir, "members", name + ".log"), InitialCluster, token, heartbeatMs, electionMs));
        }

        for (var i = 0; i < nodes; i++)
        {
            _proxies.Add(new PeerProxy(i, _members[i].AdvertisedPeerPort, _members[i].PeerPort, MemberOfPid));
        }
    }

    public IReadOnlyList<Member> Members => _members;

    /// <summary>The current partition's description, or null when the network is whole.</summary>
    public string? Partition { get; private set; }

    private string InitialCluster() => string.Join(",", _members.Select(m => $"{m.Name}=http://127.0.0.1:{m.AdvertisedPeerPort}"));

    public async Task StartAsync(TimeSpan timeout, CancellationToken ct)
    {
        foreach (var m in _members)
        {
            m.Start();
        }

        if (!await WaitHealthyAsync(timeout, ct))
        {
            throw new InvalidOperationException($"the cluster did not become healthy in {timeout.TotalSeconds:0} s (see members/*.log)");
        }
    }

    /// <summary>Waits until every running, unpaused member reports itself healthy (it has a leader).</summary>
    public async Task<bool> WaitHealthyAsync(TimeSpan timeout, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            var checks = await Task.WhenAll(_members.Where(m => m.Running && !m.Paused).Select(m => m.HealthyAsync(_http, ct)));
            if (checks.All(ok => ok))
            {
                return true;
            }

            await Task.Delay(100, ct);
        }

        return false;
    }

    public GrpcChannel Channel(int i)
    {
        lock (_channels)
        {
            if (!_channels.TryGetValue(i, out var ch))
            {
                ch = GrpcChannel.ForAddress(_members[i].ClientUrl, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20 });
                _channels[i] = ch;
            }

            return ch;
        }
    }

    /// <summary>The member every reachable member names as leader, or -1.</summary>
    public async Task<int> LeaderAsync(CancellationToken ct)
    {
        var ids = new Dictionary<ulong, int>();
        var leaders = new HashSet<ulong>();
        for (var i = 0; i < _members.Count; i++)
        {
            if (!_members[i].Running || _members[i].Paused)
            {
                continue;
            }

            try
            {
                var s = await new Maintenance.MaintenanceClient(Channel(i)).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(1), cancellationToken: ct);
                ids[s.Header.MemberId] = i;
                leaders.Add(s.Leader);
            }
            catch (Grpc.Core.RpcException)
            {
            }
        }

        return leaders.Count == 1 && ids.TryGetValue(leaders.First(), out var index) ? index : -1;
    }

    /// <summary>Silences every link (a, b) for which <paramref name="blocked"/>(a, b) holds (it must be symmetric).</summary>
    public void Cut(Func<int, int, bool> blocked, string description)
    {
        Partition = description;
        foreach (var p in _proxies)
        {
            var me = p.Member;
            p.Cut(source => source >= 0 && source != me && blocked(source, me));
        }
    }

    /// <summary>Slows every peer link by <paramref name="delay"/> (±50 %) per chunk of bytes; zero for none.</summary>
    public void Delay(TimeSpan delay)
    {
        foreach (var p in _proxies)
        {
            p.Delay(delay);
        }
    }

    /// <summary>Loses <paramref name="percent"/> % of the chunks on every peer link, as TCP sees loss (a stall, then the bytes); 0 for none.</summary>
    public void Drop(int percent)
    {
        foreach (var p in _proxies)
        {
            p.Drop(percent);
        }
    }

    public void Heal()
    {
        Partition = null;
        foreach (var p in _proxies)
        {
            p.Heal();
            p.Delay(TimeSpan.Zero);
            p.Drop(0);
        }
    }

    private int MemberOfPid(int pid)
    {
        for (var i = 0; i < _members.Count; i++)
        {
            if (_members[i].Pid == pid)
            {
                return i;
            }
        }

        return -1;
    }

    public async ValueTask DisposeAsync()
    {
        Heal();
        foreach (var m in _members)
        {
            m.Kill();
        }

        lock (_channels)
        {
            foreach (var ch in _channels.Values)
            {
                ch.Dispose();
            }
        }

        foreach (var p in _proxies)
        {
            await p.DisposeAsync();
        }

        _http.Dispose();
    }
}
