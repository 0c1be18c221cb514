using System.CommandLine;

namespace KvCluster.KvServer.Config;

/// <summary>
/// etcd's command-line flags (--name, --data-dir, …). Each may also come from the environment as
/// ETCD_&lt;FLAG&gt; (upper case, dashes as underscores), as etcd allows; a flag on the command line wins.
/// </summary>
public sealed class ServerFlags
{
    private readonly Option<string> _name = Flag("--name", "Human-readable name for this member.");
    private readonly Option<string> _dataDir = Flag("--data-dir", "Path to the data directory (default: ${name}.etcd).");
    private readonly Option<string> _listenClient = Flag("--listen-client-urls", "Comma-separated URLs to listen on for client traffic.");
    private readonly Option<string> _advertiseClient = Flag("--advertise-client-urls", "Comma-separated client URLs to advertise.");
    private readonly Option<string> _listenPeer = Flag("--listen-peer-urls", "Comma-separated URLs to listen on for peer traffic.");
    private readonly Option<string> _advertisePeer = Flag("--initial-advertise-peer-urls", "Comma-separated peer URLs to advertise.");
    private readonly Option<string> _initialCluster = Flag("--initial-cluster", "Initial cluster configuration for bootstrapping (name=peerURL,...).");
    private readonly Option<string> _clusterState = Flag("--initial-cluster-state", "Initial cluster state ('new' or 'existing').");
    private readonly Option<string> _heartbeat = Flag("--heartbeat-interval", "Time (in milliseconds) of a heartbeat interval.");
    private readonly Option<string> _election = Flag("--election-timeout", "Time (in milliseconds) for an election to timeout.");
    private readonly Option<string> _snapshotCount = Flag("--snapshot-count", "Number of committed transactions to trigger a snapshot to disk.");
    private readonly Option<string> _catchUp = Flag("--experimental-snapshot-catchup-entries", "Number of entries for a slow follower to catch up after compacting the raft storage entries.");
    private readonly Option<string> _token = Flag("--initial-cluster-token", "Initial cluster token for the cluster during bootstrap.");
    private readonly Option<string> _maxRequestBytes = Flag("--max-request-bytes", "Maximum client request size in bytes the server will accept.");
    private readonly Option<string> _maxTxnOps = Flag("--max-txn-ops", "Maximum number of operations permitted in a transaction.");
    private readonly Option<string> _quota = Flag("--quota-backend-bytes", "Raise alarms when backend size exceeds the given quota (0 defaults to 2 GiB).");
    private readonly Option<string> _compactionMode = Flag("--auto-compaction-mode", "Interpret 'auto-compaction-retention' as: 'periodic' or 'revision'.");
    private readonly Option<string> _compactionRetention = Flag("--auto-compaction-retention", "Auto compaction retention for mvcc key value store (0 disables it).");
    private readonly Option<string> _logLevel = Flag("--log-level", "Log level: debug, info, warn, error.");
    private readonly Option<string> _certFile = Flag("--cert-file", "Path to the client server TLS cert file.");
    private readonly Option<string> _keyFile = Flag("--key-file", "Path to the client server TLS key file.");
    private readonly Option<string> _trustedCa = Flag("--trusted-ca-file", "Path to the client server TLS trusted CA cert file.");
    private readonly Option<bool> _clientCertAuth = new("--client-cert-auth") { Description = "Enable client cert authentication." };
    private readonly Option<string> _authTokenTtl = Flag("--auth-token-ttl", "Time (in seconds) of the auth token's time to live.");

    public IEnumerable<Option> All =>
    [
        _name, _dataDir, _listenClient, _advertiseClient, _listenPeer, _advertisePeer, _initialCluster, _clusterState, _heartbeat, _election,
        _snapshotCount, _catchUp, _token, _maxRequestBytes, _maxTxnOps,
        _quota, _compactionMode, _compactionRetention, _logLevel, _certFile, _keyFile, _trustedCa, _clientCertAuth, _authTokenTtl,
    ];

    /// <summary>Builds the configuration; throws <see cref="FormatException"/> with the flag's name on a bad value.</summary>
    public ServerConfig Bind(ParseResult result, Func<string, string?> env)
    {
        string? Get(Option<string> o) => result.GetValue(o) ?? env(EnvName(o));
        var d = new ServerConfig();
        var name = Get(_name) ?? d.Name;
        var listenClient = Urls(Get(_listenClient), d.ListenClientUrls, _listenClient.Name);
        var advertisePeer = Urls(Get(_advertisePeer), d.InitialAdvertisePeerUrls, _advertisePeer.Name);
        var config = new ServerConfig
        {
            Name = name,
            DataDir = Get(_dataDir) ?? name + ".etcd",
            ListenClientUrls = listenClient,
            AdvertiseClientUrls = Urls(Get(_advertiseClient), listenClient, _advertiseClient.Name),
            ListenPeerUrls = Urls(Get(_listenPeer), d.ListenPeerUrls, _listenPeer.Name),
            InitialAdvertisePeerUrls = advertisePeer,
            InitialCluster = Get(_initialCluster) is { } ic ? Members(ic) : [.. advertisePeer.Select(u => (name, u))],
            InitialClusterState = Get(_clusterState) is { } state
                ? (state is "new" or "existing" ? state : throw new FormatException($"invalid value \"{state}\" for flag -initial-cluster-state: invalid value"))
                : d.InitialClusterState,
            HeartbeatIntervalMs = (int)Number(Get(_heartbeat), d.HeartbeatIntervalMs, _heartbeat.Name, 1, int.MaxValue),
            ElectionTimeoutMs = (int)Number(Get(_election), d.ElectionTimeoutMs, _election.Name, 1, int.MaxValue),
            SnapshotCount = Number(Get(_snapshotCount), d.SnapshotCount, _snapshotCount.Name, 1, long.MaxValue),
            SnapshotCatchUpEntries = Number(Get(_catchUp), d.SnapshotCatchUpEntries, _catchUp.Name, 1, long.MaxValue),
            InitialClusterToken = Get(_token) ?? d.InitialClusterToken,
            MaxRequestBytes = (int)Number(Get(_maxRequestBytes), d.MaxRequestBytes, _maxRequestBytes.Name, 1, int.MaxValue),
            MaxTxnOps = (int)Number(Get(_maxTxnOps), d.MaxTxnOps, _maxTxnOps.Name, 1, int.MaxValue),
            QuotaBackendBytes = Number(Get(_quota), d.QuotaBackendBytes, _quota.Name, 0, long.MaxValue),
            AutoCompactionMode = OneOf(Get(_compactionMode) ?? d.AutoCompactionMode, _compactionMode.Name, "periodic", "revision"),
            AutoCompactionRetention = Get(_compactionRetention) ?? d.AutoCompactionRetention,
            LogLevel = OneOf(Get(_logLevel) ?? d.LogLevel, _logLevel.Name, "debug", "info", "warn", "error", "panic", "fatal"),
            CertFile = Get(_certFile),
            KeyFile = Get(_keyFile),
            TrustedCaFile = Get(_trustedCa),
            ClientCertAuth = result.GetResult(_clientCertAuth) is { Implicit: false } ? result.GetValue(_clientCertAuth) : Bool(env(EnvName(_clientCertAuth)), _clientCertAuth.Name),
            AuthTokenTtl = (int)Number(Get(_authTokenTtl), d.AuthTokenTtl, _authTokenTtl.Name, 1, int.MaxValue),
        };
        config.Validate();
        return config;
    }

    /// <summary>Parses name=URL pairs, with etcd's error for a bad URL.</summary>
    private static List<(string Name, Uri PeerUrl)> Members(string value)
    {
        var members = new List<(string, Uri)>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = part.IndexOf('=');
            string url = eq < 0 ? "" : part[(eq + 1)..];
            if (eq <= 0 || !Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https" or "unix" or "unixs"))
            {
                throw new FormatException($"error setting up initial cluster: URL scheme must be http, https, unix, or unixs: {(eq < 0 ? part : url)}");
            }

            members.Add((part[..eq], uri));
        }

        return members;
    }

    private static string EnvName(Option o) => "ETCD_" + o.Name.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    private static Option<string> Flag(string name, string description) => new(name) { Description = description };

    private static IReadOnlyList<Uri> Urls(string? value, IReadOnlyList<Uri> fallback, string flag)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return fallback;
        }

        var urls = new List<Uri>();
        foreach (var part in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(part, UriKind.Absolute, out var uri) || (uri.Scheme != "http" && uri.Scheme != "https"))
            {
                throw new FormatException($"invalid value \"{value}\" for flag {flag}: URL scheme must be http or https: {part}");
            }

            urls.Add(uri);
        }

        return urls;
    }

    private static long Number(string? value, long fallback, string flag, long min, long max)
    {
        if (value is null)
        {
            return fallback;
        }

        if (!long.TryParse(value, out var n) || n < min || n > max)
        {
            throw new FormatException($"invalid value \"{value}\" for flag {flag}: must be an integer in [{min}, {max}]");
        }

        return n;
    }

    private static bool Bool(string? value, string flag) => value switch
    {
        null or "false" => false,
        "" or "true" => true,
        _ => throw new FormatException($"invalid value \"{value}\" for flag {flag}: must be true or false"),
    };

    private static string OneOf(string value, string flag, params string[] allowed) =>
        allowed.Contains(value) ? value : throw new FormatException($"invalid value \"{value}\" for flag {flag}: must be one of {string.Join(", ", allowed)}");
}
