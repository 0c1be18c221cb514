using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// The pty master of a TTY exec as a stream: reads wait in short polls (so disposing ends them), and the
/// EIO a master reads once the last slave is closed (the process exited) is the end of the stream.
/// Disposing the stream leaves the fd to its owner (<see cref="OciExec"/>'s session closes it).
/// </summary>
internal sealed class ExecPty(SafeFileHandle master) : Stream
{
    private volatile bool _disposed;

    public override bool CanRead => true;

    public override bool CanWrite => true;

    public override bool CanSeek => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void Resize(ushort columns, ushort rows) => Use(fd => HostPty.SetSize(fd, columns, rows));

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override unsafe int Read(Span<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            byte* ptr = p;
            int length = buffer.Length;
            return Use(fd => ReadOnce(fd, ptr, length));
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken ct = default)
    {
        var chunk = new byte[buffer.Length];
        int n = await Task.Run(() => Read(chunk), ct);
        chunk.AsMemory(0, n).CopyTo(buffer);
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        ReadAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override unsafe void Write(ReadOnlySpan<byte> buffer)
    {
        fixed (byte* p = buffer)
        {
            byte* ptr = p;
            int length = buffer.Length;
            Use(fd =>
            {
                for (int done = 0; done < length;)
                {
                    nint n = ExecNative.Write(fd, ptr + done, (nuint)(length - done));
                    if (n < 0 && Marshal.GetLastPInvokeError() is ExecNative.EIntr or ExecNative.EAgain)
                    {
                        continue;
                    }

                    if (n <= 0)
                    {
                        throw new IOException($"pty write failed: errno {Marshal.GetLastPInvokeError()}");
                    }

                    done += (int)n;
                }

                return 0;
            });
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken ct = default)
    {
        var copy = buffer.ToArray();
        await Task.Run(() => Write(copy), ct);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken ct) =>
        WriteAsync(buffer.AsMemory(offset, count), ct).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    private unsafe int ReadOnce(int fd, byte* buf, int count)
    {
        var pfd = new ExecNative.PollFd { Fd = fd, Events = ExecNative.PollIn };
        while (!_disposed && !master.IsClosed)
        {
            int ready = ExecNative.Poll(&pfd, 1, 200);
            if (ready == 0 || (ready < 0 && Marshal.GetLastPInvokeError() == ExecNative.EIntr))
            {
                continue;
            }

            nint n = ExecNative.Read(fd, buf, (nuint)count);
            if (n >= 0)
            {
                return (int)n;
            }

            int errno = Marshal.GetLastPInvokeError();
            if (errno is ExecNative.EIntr or ExecNative.EAgain)
            {
                continue;
            }

            // EIO: no slave left, the process has exited.
            return errno == ExecNative.EIo ? 0 : throw new IOException($"pty read failed: errno {errno}");
        }

        return 0;
    }

    // Holds a reference on the fd so that closing it cannot let its number be reused under a call.
    private int Use(Func<int, int> call)
    {
        bool added = false;
        try
        {
            master.DangerousAddRef(ref added);
            return call((int)master.DangerousGetHandle());
        }
        catch (ObjectDisposedException)
        {
            return 0;
        }
        finally
        {
            if (added)
            {
                master.DangerousRelease();
            }
        }
    }
}

/// <summary>A new pty pair on the host: the master (ours) and the slave's path (for the runtime's stdio).</summary>
internal static class HostPty
{
    public static unsafe (SafeFileHandle Master, string SlavePath) Open()
    {
        int fd = ExecNative.PosixOpenPt(ExecNative.ORdWr | ExecNative.ONoCtty | ExecNative.OCloExec);
        if (fd < 0)
        {
            throw new IOException($"posix_openpt failed: errno {Marshal.GetLastPInvokeError()}");
        }

        var master = new SafeFileHandle(fd, ownsHandle: true);
        byte* name = stackalloc byte[128];
        if (ExecNative.GrantPt(fd) != 0 || ExecNative.UnlockPt(fd) != 0 || ExecNative.PtsNameR(fd, name, 128) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            master.Dispose();
            throw new IOException($"cannot set up a pty: errno {errno}");
        }

        return (master, Marshal.PtrToStringUTF8((nint)name)!);
    }

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/> with the pty's slave as its stdin, stdout and stderr
    /// (through a shell that opens it and execs the file, so the process's PID is the one started).
    /// </summary>
    public static System.Diagnostics.ProcessStartInfo StartInfoOnTerminal(string file, IEnumerable<string> args, string slavePath)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        foreach (var a in (IEnumerable<string>)["-c", "exec \"$@\" <>\"$HOST_PTY\" >&0 2>&0", "sh", file, .. args])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOST_PTY"] = slavePath;
        return psi;
    }

    /// <summary>TIOCSWINSZ on a pty's fd: the terminal's size, which the process on it reads (and is sent SIGWINCH for).</summary>
    public static unsafe int SetSize(int fd, ushort columns, ushort rows)
    {
        var size = new ExecNative.WinSize { Columns = columns, Rows = rows };
        return ExecNative.IoctlWinSize(fd, ExecNative.TiocSWinSz, &size);
    }
}
