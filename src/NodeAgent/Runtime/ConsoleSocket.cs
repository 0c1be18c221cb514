using System.Net.Sockets;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// The OCI runtimes' console socket (<c>run -d --console-socket PATH</c>): for a container with a terminal, runc
/// and crun create the terminal inside the container and send its master to this Unix socket (one message, the
/// descriptor in SCM_RIGHTS), then start the container detached as any other. The agent then owns the master:
/// the container's output is read from it, stdin written to it, and its size set on it (the kernel signals the
/// container's foreground process group).
/// </summary>
internal sealed class ConsoleSocket : IDisposable
{
    private readonly Socket _listener;

    private ConsoleSocket(string path, Socket listener)
    {
        Path = path;
        _listener = listener;
    }

    /// <summary>The socket's path (in the temp directory: a Unix socket's path is at most 107 bytes).</summary>
    public string Path { get; }

    public static ConsoleSocket Listen()
    {
        var path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"nodeagent-console-{Guid.NewGuid():N}.sock");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            listener.Listen(1);
            return new ConsoleSocket(path, listener);
        }
        catch
        {
            listener.Dispose();
            File.Delete(path);
            throw;
        }
    }

    /// <summary>Accepts the runtime's connection and receives the terminal's master; fails after <paramref name="timeout"/>.</summary>
    public async Task<SafeFileHandle> ReceiveMasterAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        using var connection = await _listener.AcceptAsync(cts.Token);
        while (true)
        {
            if (TryReceiveFd(connection, out int fd, out int errno))
            {
                return new SafeFileHandle(fd, ownsHandle: true);
            }

            if (errno != ExecNative.EAgain)
            {
                throw new IOException($"no terminal received on the console socket (errno {errno})");
            }

            await Task.Delay(5, cts.Token); // The socket is non-blocking: the message has not come yet.
        }
    }

    private static unsafe bool TryReceiveFd(Socket connection, out int fd, out int errno)
    {
        fd = -1;
        byte* data = stackalloc byte[4096];
        byte* control = stackalloc byte[64];
        var iov = new ExecNative.IoVec { Base = data, Length = 4096 };
        var msg = new ExecNative.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 64 };
        nint n = ExecNative.RecvMsg((int)connection.Handle, &msg, ExecNative.MsgCmsgCloExec);
        if (n < 0)
        {
            errno = Marshal.GetLastPInvokeError();
            return false;
        }

        errno = 0;
        var header = (ExecNative.CmsgHdr*)control;
        if (msg.ControlLength < (nuint)sizeof(ExecNative.CmsgHdr) || header->Level != ExecNative.SolSocket || header->Type != ExecNative.ScmRights)
        {
            errno = -1; // a message without a descriptor
            return false;
        }

        fd = *(int*)(control + sizeof(ExecNative.CmsgHdr));
        return true;
    }

    public void Dispose()
    {
        _listener.Dispose();
        File.Delete(Path);
    }
}
