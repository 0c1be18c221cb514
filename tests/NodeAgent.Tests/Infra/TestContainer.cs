using System.Text.Json.Nodes;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.NodeAgent.Tests.Infra;

/// <summary>
/// A running OCI container for exec tests: a busybox rootfs, `runc spec` edited to run `sleep 60` without a
/// terminal, started detached under a private state root; deleted (with -f) on dispose.
/// </summary>
public abstract class TestContainer : IAsyncLifetime
{
    private static readonly string[] Applets = ["sh", "echo", "cat", "sleep", "tty", "stty", "pwd", "ls"];

    public string Dir { get; } = Directory.CreateTempSubdirectory("ocitest-").FullName;

    public string Id { get; } = "exec-" + Guid.NewGuid().ToString("N")[..8];

    public abstract string File { get; }

    public abstract IReadOnlyList<string> GlobalArgs { get; }

    protected string Root => Path.Combine(Dir, "root");

    public async Task InitializeAsync()
    {
        var bundle = Path.Combine(Dir, "bundle");
        var bin = Path.Combine(bundle, "rootfs", "bin");
        Directory.CreateDirectory(bin);
        System.IO.File.Copy("/bin/busybox", Path.Combine(bin, "busybox"));
        foreach (var a in Applets)
        {
            System.IO.File.CreateSymbolicLink(Path.Combine(bin, a), "busybox");
        }

        Check(await Processes.RunAsync("runc", ["spec", "--bundle", bundle]));
        var configPath = Path.Combine(bundle, "config.json");
        var config = JsonNode.Parse(await System.IO.File.ReadAllTextAsync(configPath))!;
        config["process"]!["terminal"] = false;
        config["process"]!["args"] = new JsonArray("sleep", "60");
        await System.IO.File.WriteAllTextAsync(configPath, config.ToJsonString());

        // The container's stdio must not be our pipes (it would hold them open): a file instead.
        var output = Path.Combine(Dir, "run.out");
        Check(await Processes.RunAsync("sh", ["-c", $"\"$@\" </dev/null >{output} 2>&1 || {{ cat {output}; exit 1; }}", "sh", File, .. GlobalArgs, "run", "-d", "--bundle", bundle, Id]));
    }

    public async Task DisposeAsync()
    {
        await Processes.RunAsync(File, [.. GlobalArgs, "delete", "-f", Id], timeout: TimeSpan.FromSeconds(20));
        Directory.Delete(Dir, recursive: true);
    }

    private static void Check(Processes.Result r)
    {
        if (r.ExitCode != 0)
        {
            throw new InvalidOperationException(r.ToString());
        }
    }
}

public sealed class RuncContainer : TestContainer
{
    public override string File => "runc";

    public override IReadOnlyList<string> GlobalArgs => ["--root", Root];
}

/// <summary>crun needs /sys/fs/cgroup/unified hidden on this (hybrid cgroup) host: a mount namespace with a tmpfs over it.</summary>
public sealed class CrunContainer : TestContainer
{
    public override string File => "unshare";

    public override IReadOnlyList<string> GlobalArgs =>
        ["-m", "sh", "-c", "mount -t tmpfs none /sys/fs/cgroup/unified && exec crun \"$@\"", "crun", "--root", Root];
}
