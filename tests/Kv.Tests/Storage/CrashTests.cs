using System.Diagnostics;
using KvCluster.Kv.Mvcc;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Storage;

/// <summary>Durability: every write acknowledged before a SIGKILL is there after reopening.</summary>
public sealed class CrashTests
{
    [Theory]
    [InlineData(1500, "crash-writer")]
    [InlineData(4000, "crash-writer")]
    // Sync off, as a Raft member's engine: a write counts as acknowledged only once FlushAsync returned.
    [InlineData(1500, "crash-writer-flush")]
    public async Task AcknowledgedWritesSurviveKill9(int runMillis, string mode)
    {
        string dir = TempStore.NewDir();
        try
        {
            var acked = new Dictionary<string, long>();
            // Two rounds: the second one kills a store that itself recovered from a kill.
            for (int round = 0; round < 2; round++)
            {
                foreach (var (n, rev) in await RunAndKill(dir, round, runMillis, mode))
                {
                    acked[$"crash/{round}/{n:D12}"] = rev;
                }
            }

            Assert.True(acked.Count > 100, $"the writer acknowledged only {acked.Count} writes");
            await using var store = MvccStore.Open(new StoreOptions { DataDir = dir, ExpireLeases = false });
            Assert.Empty(store.CheckConsistency());
            foreach (var (key, rev) in acked)
            {
                var kv = Assert.Single(store.Range(new RangeRequest(B(key))).Kvs);
                Assert.Equal($"value-{long.Parse(key[(key.LastIndexOf('/') + 1)..])}", S(kv.Value));
                Assert.Equal(rev, kv.ModRevision);
            }

            Assert.True(store.Revision >= acked.Values.Max());
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>Starts the crash writer, lets it run, kills it with SIGKILL; returns the acknowledged (n, revision) pairs.</summary>
    private static async Task<List<(long N, long Rev)>> RunAndKill(string dir, int round, int runMillis, string mode)
    {
        string exe = Path.Combine(AppContext.BaseDirectory, "kvdemo.dll");
        var psi = new ProcessStartInfo("dotnet", [exe, mode, dir, round.ToString()]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var acked = new List<(long, long)>();
        try
        {
            var ready = await p.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(60));
            Assert.StartsWith("ready", ready);
            var readAll = Task.Run(async () =>
            {
                while (await p.StandardOutput.ReadLineAsync() is { } line)
                {
                    var parts = line.Split(' ');
                    if (parts is ["ack", var n, var rev])
                    {
                        lock (acked)
                        {
                            acked.Add((long.Parse(n), long.Parse(rev)));
                        }
                    }
                }
            });
            await Task.Delay(runMillis);
            p.Kill(entireProcessTree: true); // SIGKILL on Unix
            await p.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await readAll.WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!p.HasExited)
            {
                p.Kill(entireProcessTree: true);
            }
        }

        return acked;
    }
}
