using System.Diagnostics;
using System.Text;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>
/// A node agent started by the tests as its own OS process against a test apiserver, with a fresh root
/// dir. Stopped by PID (SIGTERM, then SIGKILL); whatever containers and mounts it left are removed.
/// </summary>
public sealed class NodeAgentProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;

    private NodeAgentProcess(string name, string runtime, string root, Process process, StringBuilder output)
    {
        Name = name;
        Runtime = runtime;
        RootDir = root;
        _process = process;
        _output = output;
    }

    public string Name { get; }

    public string Runtime { get; }

    public string RootDir { get; }

    public int Pid => _process.Id;

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "nodeagent.dll");

    /// <summary>Starts an agent in a fresh root dir, or in <paramref name="root"/> (a restart after <see cref="Kill"/>).</summary>
    public static async Task<NodeAgentProcess> StartAsync(string kubeconfig, string name, string runtime, string? root = null, params string[] extraFlags)
    {
        var restart = root is not null;
        root ??= Path.Combine(Path.GetTempPath(), $"nodeagent-test-{Guid.NewGuid():N}");
        Directory.CreateDirectory(root);
        var (process, output) = Processes.Start("dotnet",
            [Dll, "--kubeconfig", kubeconfig, "--node-name", name, "--root-dir", root, "--container-runtime", runtime, "--port", "0", .. extraFlags]);
        var agent = new NodeAgentProcess(name, runtime, root, process, output);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var ready = restart ? $"node {name} already registered" : $"registered node {name}";
        while (!agent.Output.Contains(ready, StringComparison.Ordinal))
        {
            if (process.HasExited || DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"nodeagent did not register in 60 s:\n{agent.Output}");
            }

            await Task.Delay(100);
        }

        return agent;
    }

    /// <summary>kill -9 of the agent alone: its containers, mounts and root dir stay, as after a crash.</summary>
    public void Kill()
    {
        _ = Processes.RunAsync("kill", ["-KILL", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).Result;
        _process.WaitForExit(10_000);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _ = await Processes.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                Processes.Kill(_process);
            }
        }

        _process.Dispose();
        await CleanUpAsync();
    }

    /// <summary>Removes the containers, mounts and files a stopped agent left (normally none).</summary>
    private async Task CleanUpAsync()
    {
        var state = Path.Combine(RootDir, "runtime", Runtime);
        if (Directory.Exists(state) && Runtime == "runc")
        {
            var list = await Processes.RunAsync("runc", ["--root", state, "list", "-q"]);
            foreach (var id in list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                await Processes.RunAsync("runc", ["--root", state, "delete", "-f", id]);
            }
        }

        foreach (var line in File.ReadAllLines("/proc/self/mountinfo").Reverse())
        {
            var mountPoint = line.Split(' ')[4];
            if (mountPoint.StartsWith(RootDir, StringComparison.Ordinal))
            {
                await Processes.RunAsync("umount", ["-l", mountPoint]);
            }
        }

        try
        {
            Directory.Delete(RootDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
