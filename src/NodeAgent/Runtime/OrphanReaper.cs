using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// As a subreaper the agent inherits every orphan among its descendants, not only the containers' PID 1s
/// it waits for: a runtime's intermediate processes too. .NET reaps only the processes it started, and
/// at once; a child of the agent still a zombie a second later is nobody's, and is reaped here.
/// </summary>
internal static class OrphanReaper
{
    private static readonly object Gate = new();
    private static Timer? _timer;
    private static HashSet<int> _seen = [];
    private static int _holds;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte> Claimed = new();

    private static ILogger? _log;

    /// <summary>A container's PID 1, waited for by its own thread (<see cref="Native.WaitExit"/>): never reaped here.</summary>
    public static void Claim(int pid) => Claimed[pid] = 0;

    /// <summary>
    /// Starts a process the agent waits for through <see cref="Process"/> (a runtime command, unshare, an
    /// exec), claimed until .NET has seen it exit. Reaped here instead, its exit would never reach .NET,
    /// and whatever awaits it would wait for ever: under load .NET can take more than a sweep's second
    /// to reap an exited child (a graceful deletion of 100 pods left 7 of them Terminating for good,
    /// each worker awaiting a `runc delete` that had exited).
    /// </summary>
    public static Process StartChild(ProcessStartInfo psi)
    {
        var p = Process.Start(psi) ?? throw new IOException($"cannot start {psi.FileName}");
        int pid = p.Id;
        Claim(pid);
        p.EnableRaisingEvents = true;
        p.Exited += (_, _) => Unclaim(pid);
        if (p.HasExited)
        {
            Unclaim(pid); // Exited before the handler was attached.
        }

        return p;
    }

    public static void Unclaim(int pid) => Claimed.TryRemove(pid, out _);

    /// <summary>How often <see cref="WaitForExitAsync"/> checks that a child it waits for still exists.</summary>
    internal static TimeSpan ExitCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Waits for a child's exit and returns its code; -1 when the child is gone without .NET having seen
    /// it exit (reaped by someone else). .NET learns a child's exit only by reaping it itself, so such a
    /// child would otherwise be awaited for ever; every <see cref="ExitCheckInterval"/> the wait checks
    /// that the process still exists.
    /// </summary>
    public static async Task<int> WaitForExitAsync(Process p, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await p.WaitForExitAsync(ct).WaitAsync(ExitCheckInterval, ct);
                return p.ExitCode;
            }
            catch (TimeoutException) when (!Directory.Exists($"/proc/{p.Id}"))
            {
                return -1;
            }
            catch (TimeoutException)
            {
                // Still running.
            }
        }
    }

    internal static bool IsClaimed(int pid) => Claimed.ContainsKey(pid);

    /// <summary>
    /// Suspends reaping while a container starts: between the runtime's exit and the agent opening a pidfd
    /// on the container's PID 1, a container that already exited is a zombie the agent must reap itself,
    /// to learn its exit code.
    /// </summary>
    public static IDisposable Hold()
    {
        Interlocked.Increment(ref _holds);
        return new Release();
    }

    private sealed class Release : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                Interlocked.Decrement(ref _holds);
            }
        }
    }

    public static void Start(ILogger? log = null)
    {
        lock (Gate)
        {
            _log ??= log;
            _timer ??= new Timer(_ => Sweep(), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        }
    }

    private static void Sweep()
    {
        if (Volatile.Read(ref _holds) > 0)
        {
            _seen = [];
            return;
        }

        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        var zombies = new Dictionary<int, string>(); // pid → command
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                // /proc/PID/stat: "pid (comm) state ppid …"; comm may hold spaces, so split after its ')'.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] == "Z" && fields[1] == self)
                {
                    int open = stat.IndexOf('(');
                    zombies[pid] = stat[(open + 1)..stat.LastIndexOf(')')];
                }
            }
            catch (IOException)
            {
                // Gone meanwhile.
            }
        }

        foreach (var (pid, command) in zombies.Where(z => _seen.Contains(z.Key) && !Claimed.ContainsKey(z.Key)))
        {
            if (Native.Reap(pid))
            {
                _log?.LogInformation("reaped orphaned process {Pid} ({Command})", pid, command);
            }
        }

        _seen = [.. zombies.Keys];
    }
}
