using KvCluster.NodeAgent.Images;
using KvCluster.NodeAgent.Server;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// The container runtime seam, in the spirit of CRI's RuntimeService: a pod sandbox holds the shared
/// namespaces (network, IPC, UTS); containers run in it. Implementations: OCI (runc, crun) and hollow.
/// </summary>
public interface IContainerRuntime
{
    /// <summary>runc, crun or hollow; containerIDs are "&lt;name&gt;://&lt;id&gt;".</summary>
    string Name { get; }

    /// <summary>The runtime's version, for the Node's nodeInfo.containerRuntimeVersion ("runc://1.1.5").</summary>
    string Version { get; }

    Task<IPodSandbox> RunPodSandboxAsync(SandboxConfig config, CancellationToken ct);
}

/// <summary>A running sandbox: its containers share its network, IPC and UTS namespaces.</summary>
public interface IPodSandbox : IAsyncDisposable
{
    string Id { get; }

    /// <summary>Runs a container's process in the sandbox; its stdout and stderr go to <see cref="ContainerConfig.Logs"/>.</summary>
    Task<IContainer> StartContainerAsync(ContainerConfig config, CancellationToken ct);

    /// <summary>Runs <paramref name="body"/> with a socket created in the sandbox's network namespace (probes).</summary>
    System.Net.Sockets.Socket CreateSocket();
}

/// <summary>One started container instance (one per restart).</summary>
public interface IContainer : IAsyncDisposable
{
    /// <summary>"runc://&lt;id&gt;".</summary>
    string ContainerId { get; }

    DateTimeOffset StartedAt { get; }

    /// <summary>Completes when the process exits.</summary>
    Task<ContainerExit> Exited { get; }

    /// <summary>The main process's stdin, when the spec asked for one.</summary>
    Stream? Stdin { get; }

    /// <summary>Sets the size of the container's terminal (tty: true); null for a container without one.</summary>
    Action<ushort, ushort>? Resize { get; }

    /// <summary>Sends a signal to the container's PID 1 (15 SIGTERM, 9 SIGKILL).</summary>
    Task SignalAsync(int signal, CancellationToken ct);

    /// <summary>Starts a command in the container; with <paramref name="tty"/>, on a terminal of <paramref name="size"/> when given.</summary>
    Task<IExecSession> ExecAsync(IReadOnlyList<string> command, bool tty, TerminalSize? size, CancellationToken ct);
}

/// <summary>How an instance ended: exit code (128+signal when killed), when, and whether the kernel's OOM killer did it.</summary>
public sealed record ContainerExit(int ExitCode, DateTimeOffset FinishedAt, bool OomKilled);

/// <param name="PauseImage">
/// shareProcessNamespace: the image of the pause container that is PID 1 of a PID namespace all the pod's
/// containers join (as the kubelet's pause container); null: each container has its own PID namespace. Ignored with
/// HostPid: the host's PID namespace wins.
/// </param>
public sealed record SandboxConfig(string PodUid, string Namespace, string Name, string Hostname, bool HostNetwork, bool HostPid, bool HostIpc, string PodDir,
    Image? PauseImage = null);

/// <summary>Everything a container needs, resolved by the pod worker (image, argv, env, mounts, limits, security).</summary>
public sealed record ContainerConfig
{
    public required string Name { get; init; }
    public required Image Image { get; init; }
    public required IReadOnlyList<string> Args { get; init; }
    public required IReadOnlyList<string> Env { get; init; }
    public string WorkingDir { get; init; } = "/";
    public IReadOnlyList<MountSpec> Mounts { get; init; } = [];
    public ResourceLimits Resources { get; init; } = new();
    public SecuritySettings Security { get; init; } = new();
    public bool Stdin { get; init; }
    public bool StdinOnce { get; init; }
    public bool Tty { get; init; }

    /// <summary>Given the container's stdout and stderr, pumps them into its log until both end.</summary>
    public required Func<Stream, Stream, Task> Logs { get; init; }
}

/// <summary>A bind mount of a host path (a volume), or a tmpfs when <see cref="Tmpfs"/> (emptyDir medium Memory).</summary>
public sealed record MountSpec(string Source, string Destination, bool ReadOnly, bool Tmpfs = false, long? TmpfsSizeBytes = null);

public sealed record ResourceLimits
{
    public long? MemoryLimitBytes { get; init; }

    /// <summary>cpu.shares from requests.cpu (2 minimum, as the kubelet).</summary>
    public ulong CpuShares { get; init; } = 2;

    /// <summary>CFS quota in µs per 100 ms period, from limits.cpu.</summary>
    public long? CpuQuotaMicros { get; init; }

    public long? PidsLimit { get; init; }
}

public sealed record SecuritySettings
{
    public long? RunAsUser { get; init; }
    public long? RunAsGroup { get; init; }
    public IReadOnlyList<long> SupplementalGroups { get; init; } = [];
    public bool Privileged { get; init; }
    public bool ReadOnlyRootFilesystem { get; init; }
    public bool AllowPrivilegeEscalation { get; init; } = true;
    public IReadOnlyList<string> CapabilitiesAdd { get; init; } = [];
    public IReadOnlyList<string> CapabilitiesDrop { get; init; } = [];
}
