using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace KvCluster.NodeAgent.Logs;

/// <summary>
/// A file's (device, inode): tells a follower whether the path it opened still names the file it holds,
/// i.e. whether the writer rotated it away. Linux only (st_dev and st_ino are the first two 8-byte fields
/// of struct stat on x86_64 and arm64).
/// </summary>
internal static partial class FileIdentity
{
    private const int StatSize = 256;

    public static (ulong Dev, ulong Ino)? Of(string path)
    {
        Span<ulong> buf = stackalloc ulong[StatSize / 8];
        return Stat(path, ref MemoryMarshal.GetReference(buf)) == 0 ? (buf[0], buf[1]) : null;
    }

    public static (ulong Dev, ulong Ino)? Of(SafeFileHandle file)
    {
        Span<ulong> buf = stackalloc ulong[StatSize / 8];
        return FStat((int)file.DangerousGetHandle(), ref MemoryMarshal.GetReference(buf)) == 0 ? (buf[0], buf[1]) : null;
    }

    [LibraryImport("libc", EntryPoint = "stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Stat(string path, ref ulong buf);

    [LibraryImport("libc", EntryPoint = "fstat")]
    private static partial int FStat(int fd, ref ulong buf);
}
