using System.Diagnostics;
using KvCluster.ApiServer.Tests.Infra;

namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>kubectl against the shared cluster, a fresh namespace per test, and polling for a pod's state.</summary>
public abstract class PodTestBase(NodeCluster cluster) : IDisposable
{
    protected readonly Kubectl K = new(cluster.Api);

    protected NodeCluster Cluster => cluster;

    protected async Task<string> NamespaceAsync()
    {
        var ns = "t" + Guid.NewGuid().ToString("N")[..10];
        await K.OkAsync($"create namespace {ns}");
        return ns;
    }

    protected Task<string> ApplyAsync(string ns, string yaml) => K.OkAsync($"apply -n {ns} -f -", yaml);

    /// <summary>A jsonpath of a pod, polled until <paramref name="done"/> holds (fails with the pod and the agents' output after <paramref name="seconds"/>).</summary>
    protected async Task<string> WaitForAsync(string ns, string pod, string jsonpath, Func<string, bool> done, int seconds = 30)
    {
        var sw = Stopwatch.StartNew();
        var last = "";
        while (sw.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            var r = await K.RunAsync(["get", "pod", pod, "-n", ns, "-o", $"jsonpath={jsonpath}"]);
            last = r.Stdout;
            if (r.ExitCode == 0 && done(last))
            {
                return last;
            }

            await Task.Delay(200);
        }

        var yaml = await K.RunAsync(["get", "pod", pod, "-n", ns, "-o", "yaml"]);
        var events = await K.RunAsync(["get", "events", "-n", ns]);
        Assert.Fail($"pod {ns}/{pod}: {jsonpath} was \"{last}\" after {seconds} s\n{yaml.Stdout}\n{events.Stdout}\nrunc agent:\n{Tail(cluster.Runc.Output)}\ncrun agent:\n{Tail(cluster.Crun.Output)}");
        return last;
    }

    /// <summary>Reads something (kubectl logs, an exec's output) until <paramref name="done"/> holds or <paramref name="seconds"/> pass; returns the last reading.</summary>
    protected static async Task<string> PollAsync(Func<Task<string>> read, Func<string, bool> done, int seconds = 10)
    {
        var sw = Stopwatch.StartNew();
        var last = await read();
        while (!done(last) && sw.Elapsed < TimeSpan.FromSeconds(seconds))
        {
            await Task.Delay(200);
            last = await read();
        }

        return last;
    }

    /// <summary>kubectl's output for <paramref name="args"/>, stdout only, whatever its exit code (for polling).</summary>
    protected async Task<string> StdoutAsync(params string[] args) => (await K.RunAsync(args)).Stdout;

    protected Task<string> PhaseAsync(string ns, string pod, string phase, int seconds = 30) =>
        WaitForAsync(ns, pod, "{.status.phase}", p => p == phase, seconds);

    protected static string Node(string runtime) => runtime == "crun" ? "crun-node" : "runc-node";

    /// <summary>What a started kubectl (<see cref="Kubectl.Start"/>) has printed so far, without carriage returns.</summary>
    protected static string Text(System.Text.StringBuilder output)
    {
        lock (output)
        {
            return output.ToString().Replace("\r", "", StringComparison.Ordinal);
        }
    }

    private static string Tail(string s) => s.Length > 3000 ? s[^3000..] : s;

    public void Dispose()
    {
        K.Dispose();
        GC.SuppressFinalize(this);
    }
}
