using KvCluster.JepsenLite.Cluster;
using KvCluster.JepsenLite.History;
using KvCluster.JepsenLite.Run;

namespace KvCluster.JepsenLite.Tests;

/// <summary>
/// The short runs CI makes: a 3-member KvCluster (kvserver processes built by the solution) under
/// kill, pause and partition faults, register and watch workloads, must be valid — and must really
/// have had faults and operations to be worth anything.
/// </summary>
public sealed class RunTests
{
    [Theory]
    [InlineData("register", 40)]
    [InlineData("watch", 30)]
    public async Task A_short_faulty_run_on_kvcluster_is_valid(string workload, int seconds)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"jepsen-lite-test-{Guid.NewGuid():N}");
        try
        {
            var options = new RunOptions
            {
                Target = Target.KvCluster,
                Nodes = 3,
                Time = TimeSpan.FromSeconds(seconds),
                Workload = workload,
                Concurrency = 6,
                Seed = 42,
                Out = dir,
                Nemesis = new HashSet<string> { "kill", "pause", "partition" },
                Keys = 4,
                Binary = Path.Combine(Repo.Root(), "src", "KvServer", "bin", "Release", "net10.0", "kvserver.dll"),
                HeartbeatMs = 50,
                ElectionMs = 500,
            };
            using var output = new StringWriter();
            var code = await RunCommand.RunAsync(options, output, TextWriter.Null, CancellationToken.None);
            Assert.True(code == 0, output.ToString());
            Assert.StartsWith("valid", output.ToString());

            var history = HistoryFile.Read(Path.Combine(dir, "history.jsonl"));
            Assert.Contains(history, op => op.Process == -1 && op.F is "kill" or "pause" or "partition");
            Assert.Contains(history, op => op.Process >= 0 && op.Type == OpType.Ok && op.F == "write");
            if (workload == "register")
            {
                Assert.Contains(history, op => op.Process >= 0 && op.Type == OpType.Ok && op.F == "read" && op.Value is not null);
            }
            else
            {
                // Watchers received events, and the committed history was read.
                Assert.Contains(history, op => op.Process <= -100 && op.F == "events");
                Assert.Contains(history, op => op.Process == -2 && op.F == "committed");
            }

            Assert.True(File.Exists(Path.Combine(dir, "report.html")));
            Assert.True(File.Exists(Path.Combine(dir, "members", "n1.log")));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
