using System.Net.Sockets;
using Microsoft.Win32.SafeHandles;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// The unix socket given to <c>runc exec --tty --console-socket</c>: the runtime connects and sends the pty
/// master as SCM_RIGHTS ancillary data (with the pty's name as the payload).
/// </summary>
internal sealed class ExecConsoleSocket : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly DirectoryInfo _dir;
    private readonly Socket _listener;

    private ExecConsoleSocket(DirectoryInfo dir, Socket listener)
    {
        _dir = dir;
        _listener = listener;
    }

    public string Path => System.IO.Path.Combine(_dir.FullName, "console.sock");

    public static ExecConsoleSocket Create()
    {
        // Short, under /tmp: a unix socket path has at most 107 bytes.
        var dir = Directory.CreateTempSubdirectory("ociexec-");
        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(System.IO.Path.Combine(dir.FullName, "console.sock")));
            listener.Listen(1);
            return new ExecConsoleSocket(dir, listener);
        }
        catch
        {
            listener.Dispose();
            dir.Delete(recursive: true);
            throw;
        }
    }

    /// <summary>The pty master, or null when the runtime exited (or took too long) without sending one.</summary>
    public async Task<SafeFileHandle?> ReceiveAsync(Task runtimeExited, CancellationToken ct)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var accept = _listener.AcceptAsync(cts.Token).AsTask();
        var done = await Task.WhenAny(accept, runtimeExited, Task.Delay(Timeout, ct));
        if (done != accept)
        {
            await cts.CancelAsync();
            return null;
        }

        using var conn = await accept;
        return await Task.Run(() => ReceiveFd(conn), ct);
    }

    public void Dispose()
    {
        _listener.Dispose();
        try
        {
            _dir.Delete(recursive: true);
        }
        catch (IOException)
        {
            // Left in /tmp.
        }
    }

    private static unsafe SafeFileHandle? ReceiveFd(Socket conn)
    {
        byte* data = stackalloc byte[4096];
        byte* control = stackalloc byte[64];
        var iov = new ExecNative.IoVec { Base = data, Length = 4096 };
        var msg = new ExecNative.MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = 64 };
        int fd = (int)conn.SafeHandle.DangerousGetHandle();
        var deadline = DateTime.UtcNow + Timeout;
        while (true)
        {
            if (!conn.Poll(TimeSpan.FromMilliseconds(200), SelectMode.SelectRead))
            {
                if (DateTime.UtcNow > deadline)
                {
                    return null;
                }

                continue;
            }

            nint n = ExecNative.RecvMsg(fd, &msg, ExecNative.MsgCmsgCloexec);
            if (n < 0 && System.Runtime.InteropServices.Marshal.GetLastPInvokeError() is ExecNative.EAgain or ExecNative.EIntr)
            {
                continue;
            }

            if (n <= 0 || msg.ControlLength < 20)
            {
                return null;
            }

            // struct cmsghdr { size_t cmsg_len; int cmsg_level; int cmsg_type; } then the fds.
            int level = *(int*)(control + sizeof(nuint));
            int type = *(int*)(control + sizeof(nuint) + 4);
            return level == ExecNative.SolSocket && type == ExecNative.ScmRights
                ? new SafeFileHandle(*(int*)(control + sizeof(nuint) + 8), ownsHandle: true)
                : null;
        }
    }
}
