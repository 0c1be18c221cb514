using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace KvCluster.JepsenLite.Cluster;

/// <summary>What the members are: KvCluster's kvserver, or a real etcd (the control).</summary>
public enum Target { KvCluster, Etcd }

/// <summary>
/// One member of a local cluster: an OS process with its own data dir, client port and peer port.
/// Other members reach its peer port through a proxy (<see cref="AdvertisedPeerPort"/>), so links can be cut.
/// Killed with SIGKILL, paused with SIGSTOP; stdout and stderr go to its log file (appended across restarts).
/// </summary>
public sealed partial class Member(Target target, string binary, string name, string dataDir, string logFile, Func<string> initialCluster, string token, int heartbeatMs, int electionMs)
{
    private Process? _process;

    public string Name { get; } = name;

    public int ClientPort { get; } = FreePort();

    public int PeerPort { get; } = FreePort();

    public int AdvertisedPeerPort { get; } = FreePort();

    public string ClientUrl => $"http://127.0.0.1:{ClientPort}";

    public int Pid => _process is { HasExited: false } p ? p.Id : -1;

    public bool Running => _process is { HasExited: false };

    public bool Paused { get; private set; }

    /// <summary>new for the first start, existing after (a restart keeps the data dir).</summary>
    private bool _started;

    public void Start()
    {
        var args = new List<string>();
        string file;
        if (target == Target.KvCluster)
        {
            file = "dotnet";
            args.Add(binary);
        }
        else
        {
            file = binary;
        }

        args.AddRange([
            "--name", Name, "--data-dir", dataDir,
            "--listen-client-urls", ClientUrl, "--advertise-client-urls", ClientUrl,
            "--listen-peer-urls", $"http://127.0.0.1:{PeerPort}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{AdvertisedPeerPort}",
            "--initial-cluster", initialCluster(), "--initial-cluster-token", token,
            "--initial-cluster-state", _started ? "existing" : "new",
            "--heartbeat-interval", $"{heartbeatMs}", "--election-timeout", $"{electionMs}",
        ]);
        if (target == Target.Etcd)
        {
            args.AddRange(["--logger", "zap", "--log-outputs", "stderr"]);
        }

        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        var log = new StreamWriter(logFile, append: true) { AutoFlush = true };
        log.WriteLine($"=== {DateTime.UtcNow:O} start: {file} {string.Join(' ', args)}");
        var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
        p.OutputDataReceived += (_, e) => Write(log, e.Data);
        p.ErrorDataReceived += (_, e) => Write(log, e.Data);
        p.Exited += (_, _) => Write(log, $"=== {DateTime.UtcNow:O} exited");
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        _started = true;
        Paused = false;
    }

    private static void Write(StreamWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (log)
        {
            try
            {
                log.WriteLine(line);
            }
            catch (ObjectDisposedException)
            {
            }
        }
    }

    /// <summary>kill -9, and waits until the process is gone.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            if (Paused)
            {
                Signal(p.Id, SigCont);
            }

            p.Kill();
            p.WaitForExit(10_000);
        }

        Paused = false;
    }

    public void Pause()
    {
        if (_process is { HasExited: false } p && !Paused)
        {
            Signal(p.Id, SigStop);
            Paused = true;
        }
    }

    public void Resume()
    {
        if (_process is { HasExited: false } p && Paused)
        {
            Signal(p.Id, SigCont);
        }

        Paused = false;
    }

    /// <summary>GET /health answers {"health":"true"} (both etcd and kvserver serve it on the client port).</summary>
    public async Task<bool> HealthyAsync(HttpClient http, CancellationToken ct)
    {
        try
        {
            using var r = await http.GetAsync($"{ClientUrl}/health", ct);
            return r.IsSuccessStatusCode && (await r.Content.ReadAsStringAsync(ct)).Contains("\"true\"", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return false;
        }
    }

    private const int SigStop = 19;
    private const int SigCont = 18;

    private static void Signal(int pid, int sig)
    {
        if (kill(pid, sig) != 0)
        {
            throw new InvalidOperationException($"kill({pid}, {sig}) failed: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
