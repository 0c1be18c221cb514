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

    /// <summary>Starts <paramref name="command"/> in the running container (as `runc exec` does). Throws <see cref="ContainerLookupException"/>.</summary>
    Task<IExecSession> ExecAsync(string ns, string pod, string container, IReadOnlyList<string> command, bool tty, CancellationToken ct);

    /// <summary>The stdin of the container's main process, when its spec asked for one (stdin: true). Throws <see cref="ContainerLookupException"/>.</summary>
    ContainerAttach Attach(string ns, string pod, string container);
}

/// <summary>A log file (rotated files are <c>Path.1</c>, <c>Path.2</c>… older first by number descending) and whether more may come.</summary>
public sealed record ContainerLog(string Path, Func<bool> Running);

/// <summary>A running container's log (for output) and its stdin (null when the container has none).</summary>
public sealed record ContainerAttach(ContainerLog Log, Stream? Stdin, bool Tty);

/// <summary>One exec'd process: its streams, its exit code, and the terminal size (with a TTY).</summary>
public interface IExecSession : IAsyncDisposable
{
    /// <summary>Written to the process's stdin; disposing it closes the process's stdin.</summary>
    Stream Stdin { get; }

    Stream Stdout { get; }

    /// <summary>Null with a TTY (stderr goes to the terminal, as in Kubernetes).</summary>
    Stream? Stderr { get; }

    /// <summary>The process's exit code (128+signal when killed by one).</summary>
    Task<int> Exited { get; }

    void Resize(ushort columns, ushort rows);
}

/// <summary>A container the request names is not there; the message is the kubelet's ("container X is not valid for pod Y").</summary>
public sealed class ContainerLookupException(string message) : Exception(message);
