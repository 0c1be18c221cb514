namespace KvCluster.KvServer.Config;

/// <summary>A member's settings. Names and defaults are etcd's (its flag names are in the comments).</summary>
public sealed record ServerConfig
{
    /// <summary>--name</summary>
    public string Name { get; init; } = "default";

    /// <summary>--data-dir; etcd's default is "${name}.etcd" in the working directory.</summary>
    public string DataDir { get; init; } = "default.etcd";

    /// <summary>--listen-client-urls</summary>
    public IReadOnlyList<Uri> ListenClientUrls { get; init; } = [new("http://127.0.0.1:2379")];

    /// <summary>--advertise-client-urls</summary>
    public IReadOnlyList<Uri> AdvertiseClientUrls { get; init; } = [new("http://127.0.0.1:2379")];

    /// <summary>--listen-peer-urls</summary>
    public IReadOnlyList<Uri> ListenPeerUrls { get; init; } = [new("http://127.0.0.1:2380")];

    /// <summary>--initial-advertise-peer-urls</summary>
    public IReadOnlyList<Uri> InitialAdvertisePeerUrls { get; init; } = [new("http://127.0.0.1:2380")];

    /// <summary>--initial-cluster-token</summary>
    public string InitialClusterToken { get; init; } = "etcd-cluster";

    /// <summary>
    /// --initial-cluster: name=peer-URL pairs (a name may come with several URLs). When the flag is not
    /// given, this member alone at its advertised peer URLs, as etcd does for a non-default name.
    /// </summary>
    public IReadOnlyList<(string Name, Uri PeerUrl)> InitialCluster { get; init; } = [("default", new Uri("http://127.0.0.1:2380"))];

    /// <summary>--initial-cluster-state: new or existing.</summary>
    public string InitialClusterState { get; init; } = "new";

    /// <summary>--heartbeat-interval, in milliseconds.</summary>
    public int HeartbeatIntervalMs { get; init; } = 100;

    /// <summary>--election-timeout, in milliseconds.</summary>
    public int ElectionTimeoutMs { get; init; } = 1000;

    /// <summary>--max-request-bytes (1.5 MiB).</summary>
    public int MaxRequestBytes { get; init; } = 1_572_864;

    /// <summary>--snapshot-count: applied entries between snapshots of the Raft log (etcd's default).</summary>
    public long SnapshotCount { get; init; } = 100_000;

    /// <summary>--experimental-snapshot-catchup-entries: entries kept behind a snapshot for slow followers.</summary>
    public long SnapshotCatchUpEntries { get; init; } = 5_000;

    /// <summary>--max-txn-ops</summary>
    public int MaxTxnOps { get; init; } = 128;

    /// <summary>--quota-backend-bytes; 0 means etcd's default of 2 GiB.</summary>
    public long QuotaBackendBytes { get; init; }

    /// <summary>--auto-compaction-mode: periodic or revision.</summary>
    public string AutoCompactionMode { get; init; } = "periodic";

    /// <summary>--auto-compaction-retention: "0" (off), a duration ("1h", "30m") or hours ("1"), or a revision count.</summary>
    public string AutoCompactionRetention { get; init; } = "0";

    /// <summary>--log-level: debug, info, warn, error.</summary>
    public string LogLevel { get; init; } = "info";

    /// <summary>--cert-file, --key-file: serve clients over TLS.</summary>
    public string? CertFile { get; init; }

    public string? KeyFile { get; init; }

    /// <summary>--trusted-ca-file, --client-cert-auth: require client certificates signed by this CA.</summary>
    public string? TrustedCaFile { get; init; }

    public bool ClientCertAuth { get; init; }

    /// <summary>--auth-token-ttl: seconds a simple token lives without use.</summary>
    public int AuthTokenTtl { get; init; } = 300;

    /// <summary>
    /// The checks etcd makes before it starts, in its words; throws <see cref="FormatException"/>.
    /// </summary>
    public void Validate()
    {
        if (ElectionTimeoutMs < 5 * HeartbeatIntervalMs)
        {
            throw new FormatException($"error verifying flags, --election-timeout[{ElectionTimeoutMs}ms] should be at least as 5 times as --heartbeat-interval[{HeartbeatIntervalMs}ms]");
        }

        if (ElectionTimeoutMs > 50_000)
        {
            throw new FormatException($"error verifying flags, --election-timeout[{ElectionTimeoutMs}ms] is too long, and should be set less than 50000ms");
        }

        if (!InitialCluster.Any(m => m.Name == Name))
        {
            throw new FormatException($"couldn't find local name \"{Name}\" in the initial cluster configuration");
        }
    }

    /// <summary>
    /// Whether this member replicates through Raft: when the initial cluster has other members, or
    /// it joins an existing cluster. A lone member applies writes directly (its own WAL makes them durable).
    /// </summary>
    public bool Clustered => InitialClusterState == "existing" || InitialCluster.Select(m => m.Name).Distinct().Skip(1).Any();

    /// <summary>The effective quota: etcd's 2 GiB default when the flag is 0.</summary>
    public long EffectiveQuotaBytes => QuotaBackendBytes > 0 ? QuotaBackendBytes : 2L << 30;
}
