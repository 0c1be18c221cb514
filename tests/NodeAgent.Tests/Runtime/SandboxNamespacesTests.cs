using KvCluster.KvServer.Tests.Infra;
using KvCluster.NodeAgent.Runtime;

namespace KvCluster.NodeAgent.Tests.Runtime;

/// <summary>The agent makes a pod's namespaces itself: they must be new, named, with loopback up, pinned, and leave the agent's own alone.</summary>
public sealed class SandboxNamespacesTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("sandbox-ns-").FullName;

    [Fact]
    public async Task Pinned_namespaces_are_new_with_the_pod_hostname_and_loopback_up()
    {
        string ownNet = Link("/proc/self/ns/net"), ownUts = Link("/proc/self/ns/uts"), ownIpc = Link("/proc/self/ns/ipc");
        string ownHostname = (await Processes.RunAsync("hostname", [])).Stdout;
        await SandboxNamespaces.CreateAsync(_dir, ["ipc", "net", "uts"], "my-pod-7");

        // The agent's own namespaces are untouched, on every thread (the calling one included).
        Assert.Equal((ownNet, ownUts, ownIpc), (Link("/proc/self/ns/net"), Link("/proc/self/ns/uts"), Link("/proc/self/ns/ipc")));
        Assert.Equal(ownNet, Link("/proc/thread-self/ns/net"));

        var inside = await Processes.RunAsync("nsenter", [$"--net={_dir}/net", $"--uts={_dir}/uts", $"--ipc={_dir}/ipc", "sh", "-c",
            "readlink /proc/self/ns/net /proc/self/ns/uts /proc/self/ns/ipc; hostname; ip -o link"]);
        Assert.True(inside.ExitCode == 0, inside.ToString());
        var lines = inside.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.NotEqual(ownNet, lines[0]);
        Assert.NotEqual(ownUts, lines[1]);
        Assert.NotEqual(ownIpc, lines[2]);
        Assert.Equal("my-pod-7", lines[3]);
        var links = lines[4..];
        Assert.Single(links); // loopback only
        Assert.Contains("lo:", links[0]);
        Assert.Contains("<LOOPBACK,UP", links[0]);
        Assert.Equal(ownHostname, (await Processes.RunAsync("hostname", [])).Stdout);
    }

    [Fact]
    public async Task With_host_network_only_ipc_is_made_and_no_pins_means_nothing_to_do()
    {
        await SandboxNamespaces.CreateAsync(_dir, ["ipc"], "ignored");
        Assert.True(File.Exists(Path.Combine(_dir, "ipc")));
        Assert.False(File.Exists(Path.Combine(_dir, "net")));
        await SandboxNamespaces.CreateAsync(Path.Combine(_dir, "none"), [], "ignored"); // must not even touch the directory
        Assert.False(Directory.Exists(Path.Combine(_dir, "none")));
    }

    [Fact]
    public async Task A_failure_is_an_IOException_saying_what_failed()
    {
        var e = await Assert.ThrowsAsync<IOException>(() => SandboxNamespaces.CreateAsync(Path.Combine(_dir, "missing", "dir"), ["net"], "x"));
        Assert.StartsWith("failed to create the pod sandbox's namespaces", e.Message);
        Assert.Equal(Link("/proc/self/ns/net"), Link("/proc/thread-self/ns/net"));
    }

    private static string Link(string path) => new FileInfo(path).LinkTarget ?? throw new IOException($"{path} is not a link");

    public void Dispose() => OciRuntime.RemovePins(_dir);
}
