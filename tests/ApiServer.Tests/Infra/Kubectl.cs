using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Infra;

/// <summary>kubectl 1.32 (/usr/bin/kubectl) against a test apiserver, with its own fresh --cache-dir.</summary>
public sealed class Kubectl(ApiServerProcess server) : IDisposable
{
    private readonly string _cacheDir = Path.Combine(Path.GetTempPath(), $"kubectl-cache-{Guid.NewGuid():N}");

    public static bool Available => File.Exists("/usr/bin/kubectl");

    public Task<Processes.Result> RunAsync(string args, string? stdin = null, TimeSpan? timeout = null) =>
        RunAsync(Processes.Split(args), stdin, timeout);

    public Task<Processes.Result> RunAsync(IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, IDictionary<string, string>? env = null) =>
        Processes.RunAsync("/usr/bin/kubectl", ["--kubeconfig", server.Kubeconfig, "--cache-dir", _cacheDir, .. args], stdin, timeout ?? TimeSpan.FromSeconds(30), env);

    /// <summary>Starts kubectl without waiting for it (logs -f, a delete that waits): its output collects as it comes; the caller stops it.</summary>
    public (System.Diagnostics.Process Process, System.Text.StringBuilder Output) Start(string args) =>
        Processes.Start("/usr/bin/kubectl", ["--kubeconfig", server.Kubeconfig, "--cache-dir", _cacheDir, .. Processes.Split(args)]);

    /// <summary>Runs kubectl and fails the test, with kubectl's output, unless it exits 0.</summary>
    public Task<string> OkAsync(string args, string? stdin = null) => OkAsync(Processes.Split(args), stdin);

    /// <summary>As <see cref="OkAsync(string, string?)"/>, with the arguments as they are (JSON in an argument stays whole).</summary>
    public async Task<string> OkAsync(IReadOnlyList<string> args, string? stdin = null)
    {
        var r = await RunAsync(args, stdin);
        Assert.True(r.ExitCode == 0, $"kubectl {string.Join(' ', args)}\n{r}\nserver output:\n{Tail(server.Output)}");
        return r.Stdout;
    }

    private static string Tail(string s) => s.Length > 4000 ? s[^4000..] : s;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_cacheDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
