using System.Runtime.InteropServices;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>The few Linux system calls the OCI runtime needs directly (overlay mounts, joining a network namespace).</summary>
internal static partial class Native
{
    public const int CloneNewNet = 0x40000000;
    private const int MntDetach = 2;

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int mount(string source, string target, string fstype, ulong flags, string? data);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int umount2(string target, int flags);

    [LibraryImport("libc", SetLastError = true)]
    public static partial int setns(int fd, int nstype);

    [LibraryImport("libc", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int rename(string from, string to);

    /// <summary>rename(2): atomically replaces <paramref name="to"/>, also when both are symlinks to directories.</summary>
    public static void Rename(string from, string to)
    {
        Check(rename(from, to), $"rename {from} to {to}");
    }

    /// <summary>A libc call's -1 (errno set) as an IOException: "<paramref name="what"/>: the error's message".</summary>
    public static void Check(int result, string what)
    {
        if (result < 0)
        {
            throw new IOException($"{what}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    private const int PrSetChildSubreaper = 36;
    private const int PPidfd = 3;
    private const int WExited = 4;
    private const int Eintr = 4;
    private const int Echild = 10;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pidfd_open(int pid, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int pidfd_send_signal(int pidfd, int sig, nint info, uint flags);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int waitid(int idtype, int id, byte* info, int options);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int close(int fd);

    /// <summary>Makes this process the parent of orphans among its descendants (detached containers' PID 1s), so it can wait for them.</summary>
    public static void BecomeSubreaper()
    {
        Check(prctl(PrSetChildSubreaper, 1, 0, 0, 0), "prctl(PR_SET_CHILD_SUBREAPER)");
    }

    /// <summary>A pidfd: a handle on one process that a reused PID cannot alias; -1 when the process is gone.</summary>
    public static int TryPidfdOpen(int pid) => pidfd_open(pid, 0);

    /// <summary>Sends a signal through a pidfd; false when the process is gone.</summary>
    public static bool PidfdSignal(int pidfd, int signal) => pidfd_send_signal(pidfd, signal, 0, 0) == 0;

    public static void Close(int fd) => _ = close(fd);

    /// <summary>
    /// Blocks until the child behind <paramref name="pidfd"/> exits, reaps it and returns its status as a
    /// shell reports it: the exit code, or 128 + the signal that killed it.
    /// </summary>
    public static unsafe int WaitExit(int pidfd)
    {
        var info = stackalloc byte[128];
        // ECHILD at first: not (yet) the agent's child. crun starts the container through an intermediate
        // process that exits just after crun itself; only then is the container reparented to the agent.
        var notChildUntil = DateTime.UtcNow.AddSeconds(10);
        while (waitid(PPidfd, pidfd, info, WExited) != 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            if (errno == Echild && DateTime.UtcNow < notChildUntil)
            {
                Thread.Sleep(5);
                continue;
            }

            if (errno != Eintr)
            {
                throw new IOException($"waitid: {Marshal.GetLastPInvokeErrorMessage()}");
            }
        }

        // siginfo_t on 64-bit Linux: si_code at 8; for SIGCHLD, si_status at 24. CLD_EXITED = 1.
        var code = *(int*)(info + 8);
        var status = *(int*)(info + 24);
        return code == 1 ? status : 128 + status;
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int waitpid(int pid, nint status, int options);

    /// <summary>Reaps one exited child without blocking (WNOHANG); false when it is not a zombie child.</summary>
    public static bool Reap(int pid) => waitpid(pid, 0, 1) == pid;

    public static void MountOverlay(string lower, string upper, string work, string target)
    {
        Check(mount("overlay", target, "overlay", 0, $"lowerdir={lower},upperdir={upper},workdir={work}"), $"mount overlay on {target}");
    }

    public static void MountTmpfs(string target, long? sizeBytes)
    {
        Check(mount("tmpfs", target, "tmpfs", 0, sizeBytes is { } s ? $"size={s}" : null), $"mount tmpfs on {target}");
    }

    private const ulong MsBind = 4096;

    /// <summary>mount --bind: makes <paramref name="target"/> show <paramref name="source"/> (a file or a directory).</summary>
    public static void BindMount(string source, string target)
    {
        Check(mount(source, target, "", MsBind, null), $"bind mount {source} on {target}");
    }

    /// <summary>Detaches a mount; a path that is not mounted is fine.</summary>
    public static void Unmount(string target) => _ = umount2(target, MntDetach);

    public static bool IsMountPoint(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        return File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ') is { Length: > 4 } f && f[4] == full);
    }
}
