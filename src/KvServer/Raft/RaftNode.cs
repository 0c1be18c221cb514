using System.Collections.Concurrent;
using System.Net;
using DotNext.Net.Cluster;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using Grpc.Net.Client;
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
    private readonly IReadOnlyCollection<IPEndPoint> _initial;
    private readonly string _raftDir;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private LocalRaftCluster _cluster;
    private WriteAheadLog _wal;
    private readonly CancellationTokenSource _stop = new();
    private Task _watchdog = Task.CompletedTask;
    private readonly SnapshotLoopDetector _snapshotLoops;
    private int _restarting;
    private int _resigning;
    private long _leaderTerm;

    public RaftNode(ServerConfig config, LocalMember local, EngineSlot slot, ILoggerFactory loggers)
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
        _initial = Joining ? [] : [.. config.InitialCluster.Select(m => EndPointOf(m.PeerUrl)).Distinct()];
        _raftDir = Path.Combine(config.DataDir, "member", "raft");
        Directory.CreateDirectory(_raftDir);
        _snapshotLoops = new SnapshotLoopDetector(OnSnapshotLoop);
        _loggers = new DotNextLogWatch(loggers, OnWalPageMissing, _snapshotLoops);
        _log = loggers.CreateLogger<RaftNode>();
        StateMachine = new KvStateMachine(slot, local.Id, _raftDir, config.SnapshotCount, config.SnapshotCatchUpEntries);
        (_cluster, _wal) = Build();
    }

    /// <summary>Raised on every leader change (also across restarts of the Raft layer).</summary>
    public event Action<IClusterMember?>? LeaderChanged;

    public RaftCluster Cluster => Volatile.Read(ref _cluster);

    /// <summary>Started with --initial-cluster-state existing: added by the leader (etcdctl member add).</summary>
    public bool Joining { get; }

    public WriteAheadLog Log => Volatile.Read(ref _wal);

    public KvStateMachine StateMachine { get; }

    public ServerConfig Config => _config;

    public ulong Term => (ulong)Math.Max(0, Cluster.Term);

    public bool IsLeader => Cluster.Leader is { IsRemote: false };

    /// <summary>
    /// The term in which this member last became leader. Entries it appends carry this term, not
    /// the log's current one: DotNext's ReplicateAsync stamps an entry with the log's term, and a
    /// leader that has just heard of a higher term (a paused leader, resumed, receiving a vote
    /// request) but not yet stepped down would write an entry under a term whose leader it is not.
    /// That entry then matches the real leader's prevLogTerm check, is never overwritten, and the
    /// member applies it where the cluster has another one.
    /// </summary>
    public long LeaderTerm => Volatile.Read(ref _leaderTerm);

    public ulong LeaderId => Cluster.Leader is { } l ? IdOf(l.EndPoint) : 0;

    public ulong IdOf(EndPoint ep) =>
        _known.TryGetValue(ep, out var m) ? m.Id : LocalMember.MemberIdOf([$"http://{ep}"], _config.InitialClusterToken);

    public async Task StartAsync(CancellationToken ct)
    {
        await Cluster.StartAsync(ct).ConfigureAwait(false);
        _watchdog = WatchWalAsync(_stop.Token);
    }

    /// <summary>A Raft peer over TCP on the peer URL with its log in member/raft, applying to <see cref="StateMachine"/>.</summary>
    private (LocalRaftCluster, WriteAheadLog) Build()
    {
        var wal = new RaftWal(new WriteAheadLog.Options { Location = _raftDir, ChunkSize = ChunkSize }, StateMachine);
        var tcp = new RaftCluster.TcpConfiguration(EndPointOf(_config.ListenPeerUrls[0]))
        {
            PublicEndPoint = EndPointOf(_config.InitialAdvertisePeerUrls[0]),
            ColdStart = false,
            LowerElectionTimeout = _config.ElectionTimeoutMs,
            UpperElectionTimeout = _config.ElectionTimeoutMs * 2,
            HeartbeatThreshold = Math.Clamp((double)_config.HeartbeatIntervalMs / _config.ElectionTimeoutMs, 0.01, 0.99),
            RequestTimeout = TimeSpan.FromMilliseconds(_config.ElectionTimeoutMs),
            LoggerFactory = _loggers,
            ConfigurationStorage = new FileClusterConfigurationStorage(Path.Combine(_raftDir, "members"), _initial),
        };
        tcp.Metadata["name"] = _config.Name;
        tcp.Metadata["client-urls"] = string.Join(",", _local.ClientUrls);
        tcp.Metadata["peer-urls"] = string.Join(",", _local.PeerUrls);
        tcp.Metadata["cluster-id"] = _local.ClusterId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var cluster = new LocalRaftCluster(tcp) { AuditTrail = wal };
        cluster.LeaderChanged += (c, leader) =>
        {
            _snapshotLoops.Reset();
            // Raised by DotNext under its transition lock: no higher term can have arrived yet.
            if (leader is { IsRemote: false })
            {
                Volatile.Write(ref _leaderTerm, c.Term);
            }

            if (Joining)
            {
                _ = AdoptClusterIdAsync(leader as IRaftClusterMember);
            }

            LeaderChanged?.Invoke(leader);
        };
        return (cluster, wal);
    }

    /// <summary>
    /// DotNext 6.12's known failure: after a snapshot install or log compaction, a member may read a
    /// log page already deleted ("WAL page N doesn't exist on the disk") and stay broken until
    /// restarted. We restart the Raft layer in place: stop the cluster, reopen the WAL from the
    /// snapshot point (the engine keeps its state; entries it holds are skipped), rejoin.
    /// </summary>
    private void OnWalPageMissing() => Restart(null);

    /// <summary>Restarts the Raft layer once (a restart asked for while one runs is the same restart).</summary>
    private void Restart(Exception? cause)
    {
        if (Interlocked.CompareExchange(ref _restarting, 1, 0) == 0)
        {
            _ = Task.Run(() => RestartAsync(cause));
        }
    }

    /// <summary>
    /// DotNext 6.12's snapshot livelock (see <see cref="SnapshotLoopDetector"/>): this leader keeps
    /// re-sending a snapshot a member refuses. It steps down, so that the next leader (maybe this
    /// member again) starts the member's next index at the log's end. One resignation at a time, and
    /// none within <see cref="ResignPause"/> of the last, so a member that cannot keep up does not
    /// keep the cluster without a leader.
    /// </summary>
    private void OnSnapshotLoop(EndPoint member, long index)
    {
        if (Interlocked.CompareExchange(ref _resigning, 1, 0) != 0)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                if (IsLeader)
                {
                    RaftLog.SnapshotLoop(_log, member.ToString() ?? "", index, SnapshotLoopDetector.Threshold);
                    // Only this member steps down: if it lost the lead since the check above, nothing happens.
                    await Volatile.Read(ref _cluster).ResignIfLeaderAsync(_stop.Token).ConfigureAwait(false);
                }

                await Task.Delay(ResignPause, _stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or InvalidOperationException)
            {
            }
            finally
            {
                Volatile.Write(ref _resigning, 0);
            }
        });
    }

    private static readonly TimeSpan ResignPause = TimeSpan.FromSeconds(5);

    /// <summary>How often <see cref="WatchWalAsync"/> looks at the log.</summary>
    private static readonly TimeSpan WalCheckInterval = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// DotNext's WAL stops for good after any failure of its background work (applying committed
    /// entries, flushing, dropping pages behind a snapshot): every later append, read and commit
    /// throws an InternalException carrying the first failure, and DotNext does not always log it. A
    /// member in that state acknowledges nothing while it still looks alive (a 3-member cluster with
    /// another member down stops taking writes). So, whatever the cause, a broken log is restarted in
    /// place, as for a missing page; the cause is logged.
    /// </summary>
    private async Task WatchWalAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(WalCheckInterval, ct).ConfigureAwait(false);
                if (Volatile.Read(ref _restarting) == 0 && BrokenLog(Log) is { } failure)
                {
                    Restart(failure);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>The failure a WAL stopped on, or null while it works. Waiting for index 0 is answered at once either way.</summary>
    internal static Exception? BrokenLog(WriteAheadLog wal)
    {
        try
        {
            var wait = wal.WaitForApplyAsync(0L, CancellationToken.None);
            if (wait.IsCompleted)
            {
                wait.GetAwaiter().GetResult();
            }

            return null;
        }
        catch (WriteAheadLog.InternalException e)
        {
            return e.InnerException ?? e;
        }
        catch (ObjectDisposedException)
        {
            return null; // Replaced by a restart meanwhile.
        }
    }

    /// <summary>
    /// Restarts the Raft layer until it runs again: a member without one takes no part in the
    /// cluster at all, so a failed attempt is retried (after a second) rather than given up.
    /// </summary>
    private async Task RestartAsync(Exception? cause)
    {
        RaftLog.WalRestart(_log, cause?.GetType().Name ?? "MissingPageException", cause?.Message ?? "WAL page doesn't exist on the disk", cause);
        try
        {
            for (int attempt = 1; !_stop.IsCancellationRequested; attempt++)
            {
                try
                {
                    await RestartOnceAsync().ConfigureAwait(false);
                    RaftLog.WalRestarted(_log);
                    return;
                }
                catch (Exception e) when (!_stop.IsCancellationRequested)
                {
                    RaftLog.WalRestartFailed(_log, attempt, e);
                    await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            Volatile.Write(ref _restarting, 0);
        }
    }

    private async Task RestartOnceAsync()
    {
        var (oldCluster, oldWal) = (Cluster, Log);
        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5)))
        {
            try
            {
                await oldCluster.StopAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or InvalidOperationException or ObjectDisposedException or WriteAheadLog.InternalException)
            {
            }
        }

        oldCluster.Dispose();
        oldWal.Dispose();
        // An engine being built from a snapshot must be in place before the log is read again; a
        // failed build is the state machine's to report, not a reason to stay down.
        await StateMachine.Installed.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        var (cluster, wal) = Build();
        Volatile.Write(ref _wal, wal);
        Volatile.Write(ref _cluster, cluster);
        await cluster.StartAsync(CancellationToken.None).ConfigureAwait(false);
    }

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
        await _stop.CancelAsync().ConfigureAwait(false);
        await _watchdog.ConfigureAwait(false);
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
