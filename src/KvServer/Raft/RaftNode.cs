using System.Collections.Concurrent;
using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Grpc.Net.Client;
using KvCluster.Kv.Mvcc;
using KvCluster.KvServer.Config;
using KvCluster.KvServer.Hosting;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// This member's Raft peer: DotNext's RaftCluster over TCP on the peer URL, its WriteAheadLog under
/// member/raft, and <see cref="KvStateMachine"/> applying to the engine. Members are known by their
/// peer endpoints (DotNext's identity) and shown by etcd's member ids (from peer URLs and token).
/// </summary>
public sealed class RaftNode : IAsyncDisposable
{
    /// <summary>Log chunk files of 8 MiB (DotNext's default is one 4 KiB file per chunk).</summary>
    private const int ChunkSize = 8 << 20;

    private readonly ServerConfig _config;
    private readonly LocalMember _local;
    private readonly ConcurrentDictionary<EndPoint, (string Name, ulong Id)> _known = new();
    private readonly ConcurrentDictionary<string, GrpcChannel> _channels = new();
    private readonly ConcurrentDictionary<EndPoint, IReadOnlyDictionary<string, string>> _metadata = new();

    public RaftNode(ServerConfig config, LocalMember local, MvccStore store, ILoggerFactory loggers)
    {
        _config = config;
        _local = local;
        foreach (var g in config.InitialCluster.GroupBy(m => m.Name))
        {
            ulong id = g.Key == config.Name ? local.Id : LocalMember.MemberIdOf(g.Select(m => m.PeerUrl.GetLeftPart(UriPartial.Authority)), config.InitialClusterToken);
            foreach (var (_, url) in g)
            {
                _known[EndPointOf(url)] = (g.Key, id);
            }
        }

        // A member joining an existing cluster starts with no members and waits for the leader to add it.
        Joining = config.InitialClusterState == "existing";
        IReadOnlyCollection<IPEndPoint> initial = Joining ? [] : [.. config.InitialCluster.Select(m => EndPointOf(m.PeerUrl)).Distinct()];
        string raftDir = Path.Combine(config.DataDir, "member", "raft");
        Directory.CreateDirectory(raftDir);
        StateMachine = new KvStateMachine(store, local.Id);
        Log = new WriteAheadLog(new WriteAheadLog.Options { Location = raftDir, ChunkSize = ChunkSize }, StateMachine);
        var tcp = new RaftCluster.TcpConfiguration(EndPointOf(config.ListenPeerUrls[0]))
        {
            PublicEndPoint = EndPointOf(config.InitialAdvertisePeerUrls[0]),
            ColdStart = false,
            LowerElectionTimeout = config.ElectionTimeoutMs,
            UpperElectionTimeout = config.ElectionTimeoutMs * 2,
            HeartbeatThreshold = Math.Clamp((double)config.HeartbeatIntervalMs / config.ElectionTimeoutMs, 0.01, 0.99),
            RequestTimeout = TimeSpan.FromMilliseconds(config.ElectionTimeoutMs),
            LoggerFactory = loggers,
            ConfigurationStorage = new FileClusterConfigurationStorage(Path.Combine(raftDir, "members"), initial),
        };
        tcp.Metadata["name"] = config.Name;
        tcp.Metadata["client-urls"] = string.Join(",", local.ClientUrls);
        tcp.Metadata["peer-urls"] = string.Join(",", local.PeerUrls);
        tcp.Metadata["cluster-id"] = local.ClusterId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        Cluster = new RaftCluster(tcp) { AuditTrail = Log };
        if (Joining)
        {
            Cluster.LeaderChanged += (c, leader) => { _ = AdoptClusterIdAsync(leader as IRaftClusterMember); };
        }
    }

    public RaftCluster Cluster { get; }

    /// <summary>Started with --initial-cluster-state existing: added by the leader (etcdctl member add).</summary>
    public bool Joining { get; }

    public WriteAheadLog Log { get; }

    public KvStateMachine StateMachine { get; }

    public ServerConfig Config => _config;

    public ulong Term => (ulong)Math.Max(0, Cluster.Term);

    public bool IsLeader => Cluster.Leader is { IsRemote: false };

    public ulong LeaderId => Cluster.Leader is { } l ? IdOf(l.EndPoint) : 0;

    public ulong IdOf(EndPoint ep) =>
        _known.TryGetValue(ep, out var m) ? m.Id : LocalMember.MemberIdOf([$"http://{ep}"], _config.InitialClusterToken);

    public Task StartAsync(CancellationToken ct) => Cluster.StartAsync(ct);

    /// <summary>A member's name, client and peer URLs as it announces them; null while it cannot be reached.</summary>
    public async ValueTask<IReadOnlyDictionary<string, string>?> MetadataAsync(IRaftClusterMember m, CancellationToken ct)
    {
        if (_metadata.TryGetValue(m.EndPoint, out var cached))
        {
            return cached;
        }

        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(1));
            var md = await m.GetMetadataAsync(refresh: true, timeout.Token).ConfigureAwait(false);
            _metadata[m.EndPoint] = md;
            return md;
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>A joining member takes the cluster id the existing members announce.</summary>
    private async Task AdoptClusterIdAsync(IRaftClusterMember? leader)
    {
        if (leader is { IsRemote: true } && await MetadataAsync(leader, CancellationToken.None).ConfigureAwait(false) is { } md
            && md.TryGetValue("cluster-id", out var text) && ulong.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var id))
        {
            _local.ClusterId = id;
        }
    }

    /// <summary>The gRPC peer service of a member, at its first client URL.</summary>
    public async ValueTask<Wire.Peer.PeerClient> PeerAsync(IRaftClusterMember m, CancellationToken ct)
    {
        var md = await MetadataAsync(m, ct).ConfigureAwait(false) ?? throw new IOException($"member {m.EndPoint} cannot be reached");
        string url = md.TryGetValue("client-urls", out var urls) ? urls.Split(',')[0] : throw new IOException($"member {m.EndPoint} announces no client URL");
        var channel = _channels.GetOrAdd(url, u => GrpcChannel.ForAddress(u, new GrpcChannelOptions { MaxReceiveMessageSize = null, MaxSendMessageSize = null }));
        return new Wire.Peer.PeerClient(channel);
    }

    public static IPEndPoint EndPointOf(Uri url) =>
        new(url.Host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(url.Host), url.Port);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await Cluster.StopAsync(timeout.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        Cluster.Dispose();
        Log.Dispose();
        foreach (var c in _channels.Values)
        {
            c.Dispose();
        }
    }
}
