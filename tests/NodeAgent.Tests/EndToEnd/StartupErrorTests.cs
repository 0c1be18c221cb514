using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>Bad flags and a missing runtime end the agent with exit code 2 and one line saying what to fix, never a stack trace.</summary>
public sealed class StartupErrorTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nodeagent-startup-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Kubeconfig()
    {
        var path = Path.Combine(_dir, "kubeconfig");
        File.WriteAllText(path, """
            apiVersion: v1
            kind: Config
            clusters: [{name: c, cluster: {server: "https://127.0.0.1:1", insecure-skip-tls-verify: true}}]
            users: [{name: u, user: {token: t}}]
            contexts: [{name: x, context: {cluster: c, user: u}}]
            current-context: x
            """);
        return path;
    }

    private async Task<Processes.Result> Run(IDictionary<string, string>? env, params string[] args) =>
        await Processes.RunAsync("dotnet", [NodeAgentProcess.Dll, "--root-dir", Path.Combine(_dir, "root"), "--port", "0", .. args],
            timeout: TimeSpan.FromSeconds(60), env: env);

    [Fact]
    public async Task A_kubeconfig_that_is_not_one_is_refused_with_exit_code_2()
    {
        var empty = Path.Combine(_dir, "empty");
        File.WriteAllText(empty, "");
        var r = await Run(null, "--kubeconfig", empty, "--container-runtime", "hollow");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith($"nodeagent: --kubeconfig {empty}: cannot load it", r.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", r.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_client_ca_file_that_is_not_a_certificate_is_refused_with_exit_code_2()
    {
        var r = await Run(null, "--kubeconfig", Kubeconfig(), "--container-runtime", "hollow", "--client-ca-file", "/dev/null");
        Assert.Equal(2, r.ExitCode);
        Assert.StartsWith("nodeagent: --client-ca-file /dev/null: not a readable certificate", r.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task A_runtime_that_is_not_installed_says_how_to_install_it(string runtime)
    {
        // A PATH holding only dotnet: the runtime's binary cannot be found.
        var bin = Path.Combine(_dir, "bin");
        Directory.CreateDirectory(bin);
        File.CreateSymbolicLink(Path.Combine(bin, "dotnet"), Path.GetFullPath(Environment.ProcessPath ?? "/usr/bin/dotnet"));
        var r = await Run(new Dictionary<string, string> { ["PATH"] = bin }, "--kubeconfig", Kubeconfig(), "--container-runtime", runtime);
        Assert.Equal(2, r.ExitCode);
        Assert.Equal($"nodeagent: --container-runtime {runtime}: {runtime} is not installed (not found on PATH); install it with `apt-get install -y {runtime}`",
            r.Stderr.Trim());
    }
}
