using System.Globalization;

namespace KvCluster.NodeAgent;

/// <summary>The node agent's flags, with the kubelet's names where one exists.</summary>
public sealed record NodeAgentOptions
{
    /// <summary>--kubeconfig: how to reach the apiserver (the only thing the agent talks to).</summary>
    public string Kubeconfig { get; init; } = "kvcluster.data/admin.kubeconfig";

    /// <summary>--node-name (default: the host name, lower-cased as Kubernetes does).</summary>
    public string NodeName { get; init; } = Environment.MachineName.ToLowerInvariant();

    /// <summary>--root-dir: images, pod directories, container bundles and logs.</summary>
    public string RootDir { get; init; } = "/var/lib/kvcluster-nodeagent";

    /// <summary>--container-runtime: runc, crun or hollow (simulated containers, no processes).</summary>
    public string ContainerRuntime { get; init; } = "runc";

    /// <summary>--max-pods: the node's pods capacity.</summary>
    public int MaxPods { get; init; } = 110;

    /// <summary>--address and --port: where the kubelet-style HTTPS API (logs, exec, attach) listens; port 0 picks one.</summary>
    public string Address { get; init; } = "127.0.0.1";

    public int Port { get; init; } = 10250;

    /// <summary>--client-ca-file: the CA whose client certificates may call the kubelet API (default: the kubeconfig's CA).</summary>
    public string? ClientCaFile { get; init; }

    /// <summary>--pod-max-pids: the most processes each container of a pod may have (-1: no limit), as the kubelet's flag.</summary>
    public long PodMaxPids { get; init; } = -1;

    /// <summary>--node-status-update-frequency: how often the Node's status is posted.</summary>
    public TimeSpan NodeStatusUpdateFrequency { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>--node-lease-duration-seconds (the Lease is renewed every quarter of it, 10 s by default).</summary>
    public int NodeLeaseDurationSeconds { get; init; } = 40;

    public static NodeAgentOptions Parse(IReadOnlyList<string> args)
    {
        var o = new NodeAgentOptions();
        Shared.Flags.Parse(args, f =>
        {
            int Int() => int.TryParse(f.Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0
                ? n : throw new ArgumentException($"invalid value for --{f.Name}: want a non-negative integer");
            o = f.Name switch
            {
                "kubeconfig" => o with { Kubeconfig = f.Value() },
                "node-name" or "hostname-override" => o with { NodeName = f.Value().ToLowerInvariant() },
                "root-dir" => o with { RootDir = f.Value() },
                "container-runtime" => o with { ContainerRuntime = Runtime(f.Value()) },
                "max-pods" => o with { MaxPods = Int() },
                "address" => o with { Address = f.Value() },
                "port" => o with { Port = Int() },
                "client-ca-file" => o with { ClientCaFile = f.Value() },
                "node-status-update-frequency" => o with { NodeStatusUpdateFrequency = TimeSpan.FromSeconds(Int()) },
                "node-lease-duration-seconds" => o with { NodeLeaseDurationSeconds = Int() },
                "pod-max-pids" => o with { PodMaxPids = long.TryParse(f.Value(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var pids) && pids >= -1 ? pids : throw new ArgumentException("invalid value for --pod-max-pids: want -1 or a non-negative integer") },
                _ => throw new ArgumentException($"unknown flag: --{f.Name}"),
            };
        });

        return o;
    }

    private static string Runtime(string value) => value is "runc" or "crun" or "hollow"
        ? value
        : throw new ArgumentException($"invalid value \"{value}\" for --container-runtime: want runc, crun or hollow");
}
