using Microsoft.Win32.SafeHandles;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// The master of a pty the agent holds: a TTY exec's host pty (the runtime relays it to the container's
/// terminal), or a container's own terminal (spec tty: true) received over a <see cref="ConsoleSocket"/>.
/// What the process writes, stdout and stderr alike, is read from <see cref="Output"/>; stdin is written to
/// <see cref="Input"/>; a resize sets its size, and the kernel sends SIGWINCH to the terminal's foreground
/// process group. Two stream views of the one master, so that closing stdin does not end the output.
/// </summary>
internal sealed class PtyMaster(SafeFileHandle master) : IDisposable
{
    private readonly ExecPty _output = new(master);

    /// <summary>The terminal's output (ends once the last process holding its slave has exited).</summary>
    public Stream Output => _output;

    /// <summary>Typed into the terminal; disposing it leaves the terminal open (the master is this object's).</summary>
    public Stream Input { get; } = new ExecPty(master);

    public void Resize(ushort columns, ushort rows) => _output.Resize(columns, rows);

    public void Dispose()
    {
        _output.Dispose();
        master.Dispose();
    }
}
