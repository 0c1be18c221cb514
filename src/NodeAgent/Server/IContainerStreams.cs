namespace KvCluster.NodeAgent.Server;

/// <summary>
/// What the node agent's HTTPS server (the kubelet's :10250 API: containerLogs, exec, attach) needs
/// from the pods this node runs. The pod workers implement it; the server only streams.
/// </summary>
public interface IContainerStreams
{
    /// <summary>
    /// The CRI-format log file of a container's current instance (or, with <paramref name="previous"/>,
    /// of the instance before it), and whether that instance still runs (so a follower keeps reading).
    /// Throws <see cref="ContainerLookupException"/> when the pod, the container or the instance is not there.
    /// </summary>
    ContainerLog FindLog(string ns, string pod, string container, bool previous);

    /// <summary>
    /// The running container to exec in; throws <see cref="ContainerLookupException"/> when there is none, so that a
    /// request can be refused before its upgrade. Starting the command is a step of its own: a TTY exec starts once
    /// the client's terminal size is known.
    /// </summary>
    ExecStart FindExec(string ns, string pod, string container);

    /// <summary>The stdin of the container's main process, when its spec asked for one (stdin: true). Throws <see cref="ContainerLookupException"/>.</summary>
    ContainerAttach Attach(string ns, string pod, string container);

    /// <summary>
    /// Makes TCP sockets in the pod's network namespace (port-forward connects them to the pod's loopback).
    /// Throws <see cref="ContainerLookupException"/> when the pod is not there or has no sandbox yet.
    /// </summary>
    Func<System.Net.Sockets.Socket> FindPodNetwork(string ns, string pod);
}

/// <summary>
/// A container's CRI log and whether more may come. Written by <c>Logs.CriLogWriter</c>: the current file is
/// <see cref="Path"/> (e.g. <c>…/pods/ns_pod_uid/app/0.log</c>); rotation at 10Mi renames it to
/// <c>Path.yyyyMMdd-HHmmss.fffffff</c> (UTC), so rotated files sort oldest first by name; 5 files are kept with the
/// current one. <see cref="Running"/> must stay true until the writer's <c>PumpAsync</c> has finished (not only
/// until the process exits), so that a follower reads everything before it stops.
/// </summary>
public sealed record ContainerLog(string Path, Func<bool> Running);

/// <summary>
/// A running container's log (for output), its stdin (null when the container has none) and, with a TTY,
/// how to resize its terminal (null without one). With <see cref="StdinOnce"/> (the spec's stdinOnce) the
/// container's stdin is closed when the first attach that fed it ends, so the process sees end of input.
/// </summary>
public sealed record ContainerAttach(ContainerLog Log, Stream? Stdin, bool Tty, Action<ushort, ushort>? Resize = null, bool StdinOnce = false);

/// <summary>
/// Starts a command in the container found (as `runc exec` does); with <paramref name="tty"/>, on a terminal of
/// <paramref name="size"/> when one is given. Throws <see cref="ContainerLookupException"/> when the container has
/// stopped since it was found.
/// </summary>
public delegate Task<IExecSession> ExecStart(IReadOnlyList<string> command, bool tty, TerminalSize? size, CancellationToken ct);

/// <summary>A terminal's size, as the client's resize messages give it.</summary>
public readonly record struct TerminalSize(ushort Columns, ushort Rows);

/// <summary>One exec'd process: its streams, its exit code, and the terminal size (with a TTY).</summary>
public interface IExecSession : IAsyncDisposable
{
    /// <summary>Written to the process's stdin; disposing it closes the process's stdin.</summary>
    Stream Stdin { get; }

    Stream Stdout { get; }

    /// <summary>Null with a TTY (stderr goes to the terminal, as in Kubernetes).</summary>
    Stream? Stderr { get; }

    /// <summary>
    /// The process's exit code (128+signal when killed by one). Faults with <see cref="ExecStartException"/> when
    /// the runtime could not start the command (not found, not executable).
    /// </summary>
    Task<int> Exited { get; }

    /// <summary>Sets the terminal's size; nothing without a TTY.</summary>
    void Resize(ushort columns, ushort rows);
}

/// <summary>
/// A pod, container or instance the request names is not there, in the kubelet's words. The kubelet
/// answers 404 when the pod or the container is unknown (<see cref="NotFound"/>), 400 otherwise
/// ("container \"c\" in pod \"p\" is waiting to start: ContainerCreating").
/// </summary>
public sealed class ContainerLookupException(string message, bool notFound = false) : Exception(message)
{
    public bool NotFound => notFound;
}

/// <summary>The runtime could not start an exec'd command; the message is the runtime's (runc's "exec failed: …").</summary>
public sealed class ExecStartException(string message) : Exception(message);
