using System.Globalization;
using System.Net;

namespace KvCluster.Controllers;

/// <summary>The controllers' flags, with kube-scheduler's names where one exists.</summary>
public sealed record ControllersOptions
{
    /// <summary>--kubeconfig: how to reach the apiserver (the only thing the controllers talk to).</summary>
    public string Kubeconfig { get; init; } = "kvcluster.data/admin.kubeconfig";

    /// <summary>--scheduler-name: the pods scheduled are those whose spec.schedulerName is this (or empty, for the default).</summary>
    public string SchedulerName { get; init; } = "default-scheduler";

    /// <summary>--bind-address and --port: where /healthz, /readyz, /livez and /metrics are served (plain HTTP); port 0 picks one.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    public int Port { get; init; } = 10259;

    /// <summary>--node-monitor-grace-period: how long a node may go unheard (Lease, status) before it is marked Unknown and tainted unreachable.</summary>
    public TimeSpan NodeMonitorGracePeriod { get; init; } = TimeSpan.FromSeconds(40);

    /// <summary>--node-monitor-period: how often the nodes' health is checked.</summary>
    public TimeSpan NodeMonitorPeriod { get; init; } = TimeSpan.FromSeconds(5);

    public static ControllersOptions Parse(IReadOnlyList<string> args)
    {
        var o = new ControllersOptions();
        Shared.Flags.Parse(args, f => o = f.Name switch
        {
            "kubeconfig" => o with { Kubeconfig = f.Value() },
            "scheduler-name" => o with { SchedulerName = f.Value() is { Length: > 0 } s ? s : throw new ArgumentException("--scheduler-name must not be empty") },
            "bind-address" => o with { BindAddress = IPAddress.TryParse(f.Value(), out var ip) ? ip : throw new ArgumentException($"invalid value for --{f.Name}: want an IP address") },
            "port" => o with
            {
                Port = int.TryParse(f.Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var p) && p is >= 0 and <= 65535
                    ? p : throw new ArgumentException($"invalid value for --{f.Name}: want a port number (0-65535)"),
            },
            "node-monitor-grace-period" => o with { NodeMonitorGracePeriod = f.Duration() },
            "node-monitor-period" => o with { NodeMonitorPeriod = f.Duration() },
            _ => throw new ArgumentException($"unknown flag: --{f.Name}"),
        });

        return o;
    }
}
