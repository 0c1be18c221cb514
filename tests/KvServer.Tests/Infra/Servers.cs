using System.Diagnostics;
using System.Text;

namespace KvCluster.KvServer.Tests.Infra;

/// <summary>An etcd-v3 server started by a test: ours (kvserver) or the real etcd 3.4. Stopped by PID on dispose; its data dir removed.</summary>
public abstract class ServerProcess : IAsyncDisposable
{
    private Process? _process;
    private StringBuilder _output = new();

    protected ServerProcess(string kind)
    {
        Kind = kind;
        DataDir = Path.Combine(Path.GetTempPath(), $"kvtest-{kind}-{Guid.NewGuid():N}");
        Port = Processes.FreePort();
    }

    public string Kind { get; }

    public string DataDir { get; }

    public int Port { get; }

    public string Endpoint => $"127.0.0.1:{Port}";

    public string Url => $"http://127.0.0.1:{Port}";

    public int Pid => _process?.Id ?? 0;

    /// <summary>Not running (never started, killed, or exited on its own).</summary>
    public bool HasExited => _process?.HasExited ?? true;

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    protected abstract (string File, IEnumerable<string> Args) Command(IReadOnlyList<string> extraFlags);

    /// <summary>Starts the server and waits (at most 60 s) until /health answers.</summary>
    public async Task StartAsync(params string[] extraFlags)
    {
        Launch(extraFlags);
        await WaitHealthyAsync();
    }

    /// <summary>Starts the process without waiting: members of a cluster become healthy only together.</summary>
    public void Launch(params string[] extraFlags)
    {
        var (file, args) = Command(extraFlags);
        (_process, _output) = Processes.Start(file, args);
    }

    /// <summary>Waits (at most 60 s) until /health answers 200 (for a cluster member: it sees a leader).</summary>
    public async Task WaitHealthyAsync()
    {
        if (_process is null)
        {
            throw new InvalidOperationException($"{Kind} is not running");
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"{Kind} exited with {_process.ExitCode}:\n{Output}");
            }

            try
            {
                var r = await http.GetAsync($"{Url}/health");
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"{Kind} did not become healthy in 60 s:\n{Output}");
    }

    /// <summary>Asks the process to stop (SIGTERM) and waits up to <paramref name="timeout"/>; true when it exited.</summary>
    public async Task<bool> TerminateAsync(TimeSpan timeout)
    {
        if (_process is null || _process.HasExited)
        {
            return true;
        }

        await Processes.RunAsync("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Freezes the process (SIGSTOP) until <see cref="Resume"/>: a member that stops answering without knowing it.</summary>
    public void Pause() => Signal("STOP");

    /// <summary>Lets a paused process run again (SIGCONT).</summary>
    public void Resume() => Signal("CONT");

    private void Signal(string signal)
    {
        if (_process is { HasExited: false } p)
        {
            using var kill = Process.Start("kill", ["-" + signal, p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            kill.WaitForExit();
        }
    }

    /// <summary>Kills the process (SIGKILL) and keeps the data dir, for crash tests.</summary>
    public void Kill()
    {
        if (_process is not null)
        {
            Processes.Kill(_process);
            _process.Dispose();
            _process = null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Kill();
        await Task.Yield();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }

        GC.SuppressFinalize(this);
    }
}

/// <summary>kvserver, run from the test's output directory (the project reference copies it there).</summary>
public sealed class KvServerProcess() : ServerProcess("kvserver")
{
    public static string Dll => Path.Combine(AppContext.BaseDirectory, "kvserver.dll");

    protected override (string File, IEnumerable<string> Args) Command(IReadOnlyList<string> extraFlags) =>
        ("dotnet", [Dll, "--name", "default", "--data-dir", DataDir, "--listen-client-urls", Url, "--advertise-client-urls", Url, .. extraFlags]);
}

/// <summary>The real etcd 3.4.23 from Debian (/usr/bin/etcd), as the reference.</summary>
public sealed class EtcdProcess() : ServerProcess("etcd")
{
    private readonly int _peerPort = Processes.FreePort();

    public static bool Available => File.Exists("/usr/bin/etcd");

    protected override (string File, IEnumerable<string> Args) Command(IReadOnlyList<string> extraFlags)
    {
        var peer = $"http://127.0.0.1:{_peerPort}";
        return ("/usr/bin/etcd",
        [
            "--name", "default", "--data-dir", DataDir, "--listen-client-urls", Url, "--advertise-client-urls", Url,
            "--listen-peer-urls", peer, "--initial-advertise-peer-urls", peer, "--initial-cluster", $"default={peer}",
            "--log-level", "error", "--logger", "zap", .. extraFlags,
        ]);
    }
}

/// <summary>etcdctl 3.4 against one endpoint.</summary>
public static class Etcdctl
{
    public static bool Available => File.Exists("/usr/bin/etcdctl");

    public static Task<Processes.Result> RunAsync(ServerProcess server, string args, string? stdin = null, TimeSpan? timeout = null) =>
        RunAsync(server, Processes.Split(args), stdin, timeout);

    public static Task<Processes.Result> RunAsync(ServerProcess server, IEnumerable<string> args, string? stdin = null, TimeSpan? timeout = null, bool keepStdinOpen = false) =>
        Processes.RunAsync("/usr/bin/etcdctl", [.. args.Contains("--endpoints") ? [] : new[] { "--endpoints", server.Endpoint }, .. args.Contains("--command-timeout") ? [] : new[] { "--command-timeout", "10s" }, .. args], stdin, timeout,
            new Dictionary<string, string> { ["ETCDCTL_API"] = "3" }, keepStdinOpen);
}
