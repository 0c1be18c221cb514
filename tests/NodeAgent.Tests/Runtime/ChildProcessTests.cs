using System.Diagnostics;
using System.Runtime.InteropServices;
using KvCluster.NodeAgent.Runtime;

namespace KvCluster.NodeAgent.Tests.Runtime;

/// <summary>
/// The agent is a subreaper with an orphan reaper beside .NET's own child handling: a child .NET started
/// must never be reaped by anyone else, and a wait must not hang for ever if it was.
/// </summary>
public sealed class ChildProcessTests
{
    [Fact]
    public async Task A_child_started_through_the_reaper_is_claimed_until_dotnet_has_seen_it_exit()
    {
        using var p = OrphanReaper.StartChild(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.3; exit 4"]) { UseShellExecute = false });
        Assert.True(OrphanReaper.IsClaimed(p.Id));
        await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(4, p.ExitCode);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (OrphanReaper.IsClaimed(p.Id) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        Assert.False(OrphanReaper.IsClaimed(p.Id));
    }

    [Fact]
    public async Task The_exit_code_of_a_child_comes_back_through_the_bounded_wait()
    {
        using var p = OrphanReaper.StartChild(new ProcessStartInfo("/bin/sh", ["-c", "exit 7"]) { UseShellExecute = false });
        Assert.Equal(7, await OrphanReaper.WaitForExitAsync(p, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_child_reaped_behind_dotnets_back_ends_the_wait_with_minus_one()
    {
        var interval = OrphanReaper.ExitCheckInterval;
        OrphanReaper.ExitCheckInterval = TimeSpan.FromMilliseconds(200);
        try
        {
            // A thread blocked in waitpid on the child is woken by its exit before .NET's SIGCHLD handling
            // runs, so it reaps the child first (almost always: a few tries make sure of it).
            for (int attempt = 0; attempt < 5; attempt++)
            {
                using var p = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", "sleep 0.2"]) { UseShellExecute = false })!;
                int pid = p.Id;
                var thief = Task.Factory.StartNew(() => waitpid(pid, 0, 0), TaskCreationOptions.LongRunning);
                int reaped = await thief.WaitAsync(TimeSpan.FromSeconds(20));
                if (reaped != pid)
                {
                    continue; // .NET reaped it first.
                }

                Assert.Equal(-1, await OrphanReaper.WaitForExitAsync(p, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(20)));
                return;
            }

            Assert.Fail(".NET reaped the child first in every attempt");
        }
        finally
        {
            OrphanReaper.ExitCheckInterval = interval;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int waitpid(int pid, nint status, int options);
}
