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
        if (rename(from, to) != 0)
        {
            throw new IOException($"rename {from} to {to}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    public static void MountOverlay(string lower, string upper, string work, string target)
    {
        if (mount("overlay", target, "overlay", 0, $"lowerdir={lower},upperdir={upper},workdir={work}") != 0)
        {
            throw new IOException($"mount overlay on {target}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    public static void MountTmpfs(string target, long? sizeBytes)
    {
        if (mount("tmpfs", target, "tmpfs", 0, sizeBytes is { } s ? $"size={s}" : null) != 0)
        {
            throw new IOException($"mount tmpfs on {target}: {Marshal.GetLastPInvokeErrorMessage()}");
        }
    }

    /// <summary>Detaches a mount; a path that is not mounted is fine.</summary>
    public static void Unmount(string target) => _ = umount2(target, MntDetach);

    public static bool IsMountPoint(string path)
    {
        var full = Path.GetFullPath(path).TrimEnd('/');
        return File.ReadLines("/proc/self/mountinfo").Any(l => l.Split(' ') is { Length: > 4 } f && f[4] == full);
    }
}
