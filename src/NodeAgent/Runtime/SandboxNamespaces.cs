using System.Runtime.InteropServices;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// Creates a pod sandbox's namespaces (network, IPC, UTS) inside the agent and pins each to a file by a
/// bind mount (as CRI-O's pinns does), without starting a process: a dedicated thread unshares them,
/// names the host (UTS), brings loopback up (network), pins them, and goes back to the agent's own
/// namespaces before it ends. Namespaces are per thread for these three kinds, so no other thread of the
/// agent ever sees them. (It replaced an unshare(1) + busybox sh + hostname + ip per pod, about a tenth
/// of the machine's CPU while pods started at 10/s.)
/// </summary>
internal static partial class SandboxNamespaces
{
    private const int CloneNewUts = 0x04000000;
    private const int CloneNewIpc = 0x08000000;
    private const int AfInet = 2;
    private const int SockDgram = 2;
    private const int SockCloexec = 0x80000;
    private const nuint SiocGifFlags = 0x8913;
    private const nuint SiocSifFlags = 0x8914;
    private const short IffUp = 1;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int unshare(int flags);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int sethostname(byte[] name, nuint length);

    [LibraryImport("libc", SetLastError = true)]
    private static partial int socket(int domain, int type, int protocol);

    [LibraryImport("libc", SetLastError = true)]
    private static unsafe partial int ioctl(int fd, nuint request, byte* arg);

    /// <summary>
    /// Creates the namespaces named in <paramref name="pins"/> ("net", "ipc", "uts") and pins each to
    /// <paramref name="dir"/>/&lt;name&gt;; with "uts", the host name is <paramref name="hostname"/>; with
    /// "net", loopback is up (and nothing else: joining pods to a network is a later issue).
    /// </summary>
    public static Task CreateAsync(string dir, IReadOnlyList<string> pins, string hostname)
    {
        if (pins.Count == 0)
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                CreateOnThisThread(dir, pins, hostname);
                done.SetResult();
            }
            catch (Exception e)
            {
                done.SetException(new IOException($"failed to create the pod sandbox's namespaces: {e.Message}", e));
            }
        }, 256 * 1024) { IsBackground = true, Name = "sandbox namespaces" };
        thread.Start();
        return done.Task;
    }

    private static void CreateOnThisThread(string dir, IReadOnlyList<string> pins, string hostname)
    {
        // The agent's own namespaces, to go back to (a thread that could not is left to end where it is).
        var originals = pins.Select(ns => File.OpenHandle($"/proc/thread-self/ns/{ns}")).ToList();
        try
        {
            int flags = pins.Sum(ns => ns switch
            {
                "net" => Native.CloneNewNet,
                "ipc" => CloneNewIpc,
                "uts" => CloneNewUts,
                _ => throw new ArgumentException($"not a sandbox namespace: {ns}", nameof(pins)),
            });
            Native.Check(unshare(flags), "unshare");
            if (pins.Contains("uts"))
            {
                var name = System.Text.Encoding.UTF8.GetBytes(hostname);
                Native.Check(sethostname(name, (nuint)name.Length), "sethostname");
            }

            if (pins.Contains("net"))
            {
                LoopbackUp();
            }

            foreach (var ns in pins)
            {
                var pin = Path.Combine(dir, ns);
                File.WriteAllBytes(pin, []);
                Native.BindMount($"/proc/thread-self/ns/{ns}", pin);
            }
        }
        finally
        {
            foreach (var original in originals)
            {
                Native.Check(Native.setns((int)original.DangerousGetHandle(), 0), "setns back to the agent's namespace");
                original.Dispose();
            }
        }
    }

    /// <summary>ip link set lo up: SIOCGIFFLAGS, then SIOCSIFFLAGS with IFF_UP, on a socket of this thread's network namespace.</summary>
    private static unsafe void LoopbackUp()
    {
        int fd = socket(AfInet, SockDgram | SockCloexec, 0);
        Native.Check(fd, "socket");
        try
        {
            // struct ifreq: the interface name (16 bytes, NUL-terminated), then a union whose first member
            // is ifr_flags (short); 40 bytes in all on 64-bit Linux.
            var ifreq = stackalloc byte[40];
            new Span<byte>(ifreq, 40).Clear();
            "lo"u8.CopyTo(new Span<byte>(ifreq, 16));
            Native.Check(ioctl(fd, SiocGifFlags, ifreq), "SIOCGIFFLAGS lo");
            *(short*)(ifreq + 16) |= IffUp;
            Native.Check(ioctl(fd, SiocSifFlags, ifreq), "SIOCSIFFLAGS lo");
        }
        finally
        {
            Native.Close(fd);
        }
    }
}
