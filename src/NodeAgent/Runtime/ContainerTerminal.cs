using Microsoft.Win32.SafeHandles;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// The master of a container's terminal (spec tty: true), received from the runtime over a <see cref="ConsoleSocket"/>.
/// What the container writes, stdout and stderr alike, is read from it; stdin is written to it; a resize sets
/// its size, and the kernel sends SIGWINCH to the container's foreground process group.
/// </summary>
internal sealed class ContainerTerminal(SafeFileHandle master) : IDisposable
{
    private readonly ExecPty _output = new(master);

    /// <summary>The terminal's output (ends once the container's last process holding it has exited).</summary>
    public Stream Output => _output;

    /// <summary>Typed into the terminal; disposing it leaves the terminal open (the master is this object's).</summary>
    public Stream Input { get; } = new ExecPty(master);

    public void Resize(ushort columns, ushort rows) => _output.Resize(columns, rows);

    public void Dispose() => master.Dispose();
}
