using System.Globalization;

namespace KvCluster.ApiServer.Hosting;

/// <summary>The apiserver's flags; kube-apiserver's names where one exists.</summary>
public sealed record ApiServerOptions
{
    /// <summary>--bind-address. kube-apiserver listens on every address by default; the single-machine default here is loopback.</summary>
    public string BindAddress { get; init; } = "127.0.0.1";

    /// <summary>--secure-port.</summary>
    public int SecurePort { get; init; } = 6443;

    /// <summary>--etcd-servers: comma-separated etcd v3 endpoints; none = the embedded store.</summary>
    public IReadOnlyList<string> EtcdServers { get; init; } = [];

    /// <summary>--data-dir: the embedded store, admin.kubeconfig and, by default, the certificates.</summary>
    public string DataDir { get; init; } = "kvcluster.data";

    /// <summary>--cert-dir: the CA and serving certificate (generated on first start).</summary>
    public string? CertDir { get; init; }

    /// <summary>--plain-http: serve plain HTTP instead of HTTPS (tests, or behind a TLS proxy).</summary>
    public bool PlainHttp { get; init; }

    /// <summary>--watch-bookmark-interval: how often watches that allow bookmarks get one.</summary>
    public TimeSpan BookmarkInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>--watch-cache-size: events kept per resource for watches that resume from an older resourceVersion.</summary>
    public int WatchCacheSize { get; init; } = 10_000;

    /// <summary>--service-cluster-ip-range: where Services' clusterIPs come from (kubeadm's default).</summary>
    public System.Net.IPNetwork ServiceClusterIpRange { get; init; } = System.Net.IPNetwork.Parse("10.96.0.0/12");

    /// <summary>--service-node-port-range: where NodePort Services' ports come from.</summary>
    public (int First, int Last) ServiceNodePortRange { get; init; } = (30000, 32767);

    public string EffectiveCertDir => CertDir ?? Path.Combine(DataDir, "pki");

    public string KubeconfigPath => Path.Combine(DataDir, "admin.kubeconfig");

    public static ApiServerOptions Parse(string[] args)
    {
        var o = new ApiServerOptions();
        Shared.Flags.Parse(args, f => o = f.Name switch
        {
            "bind-address" => o with { BindAddress = f.Value() },
            "secure-port" => o with { SecurePort = int.Parse(f.Value(), CultureInfo.InvariantCulture) },
            "etcd-servers" => o with { EtcdServers = f.Value().Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) },
            "data-dir" => o with { DataDir = f.Value() },
            "cert-dir" => o with { CertDir = f.Value() },
            "plain-http" => o with { PlainHttp = !f.HasInlineValue || bool.Parse(f.Value()) },
            "watch-bookmark-interval" => o with { BookmarkInterval = f.Duration() },
            "service-cluster-ip-range" => o with { ServiceClusterIpRange = System.Net.IPNetwork.Parse(f.Value()) },
            "service-node-port-range" => o with { ServiceNodePortRange = PortRange(f.Value()) },
            "watch-cache-size" => o with { WatchCacheSize = int.Parse(f.Value(), CultureInfo.InvariantCulture) },
            _ => throw new ArgumentException($"unknown flag: --{f.Name}"),
        });

        return o;
    }

    private static (int, int) PortRange(string text)
    {
        var parts = text.Split('-');
        return parts.Length == 2 && int.TryParse(parts[0], out var first) && int.TryParse(parts[1], out var last) && first <= last
            ? (first, last)
            : throw new ArgumentException($"invalid port range \"{text}\" (want e.g. 30000-32767)");
    }
}
