using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using KvCluster.NodeAgent.Images;
using KvCluster.NodeAgent.Server;
using Microsoft.Extensions.Logging;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// Runs pods with an OCI runtime (runc or crun). A sandbox is the pod's network, IPC and UTS namespaces,
/// created by the agent itself (<see cref="SandboxNamespaces"/>) and pinned to files (as CRI-O's pinns
/// does) rather than held by a pause process: no process per pod, except with shareProcessNamespace,
/// where a pause container is PID 1 of the PID namespace the pod's containers share. Each container is
/// a bundle whose root is an overlay of its image, started detached by the runtime (the agent is its
/// subreaper and holds its stdio), and which joins the pinned namespaces.
/// State: &lt;root-dir&gt;/runtime (the runtime's --root), bundles in &lt;root-dir&gt;/containers/&lt;id&gt;,
/// pinned namespaces in &lt;root-dir&gt;/sandboxes/&lt;id&gt;/{net,ipc,uts}.
/// </summary>
public sealed class OciRuntime : IContainerRuntime
{
    private readonly OciCommand _cmd;
    private readonly string _bundles;
    private readonly string _sandboxes;
    private readonly ILogger _log;

    private OciRuntime(OciCommand cmd, string rootDir, ILogger log, string version)
    {
        _cmd = cmd;
        _bundles = Path.Combine(rootDir, "containers");
        _sandboxes = Path.Combine(rootDir, "sandboxes");
        _log = log;
        Version = version;
    }

    public string Name => _cmd.Name;

    public string Version { get; }

    internal OciCommand Command => _cmd;

    /// <summary>Creates the runtime and removes what an earlier run of the agent left (containers, mounts, bundles).</summary>
    public static async Task<OciRuntime> CreateAsync(string runtime, string rootDir, ILogger log, CancellationToken ct)
    {
        var state = Path.Combine(rootDir, "runtime", runtime);
        Directory.CreateDirectory(state);
        // Detached containers' PID 1s become the agent's children, to be waited for (OciContainer).
        Native.BecomeSubreaper();
        OrphanReaper.Start(log);
        var cmd = OciCommand.For(runtime, state);
        var version = await cmd.VersionAsync();
        var r = new OciRuntime(cmd, rootDir, log, $"{runtime}://{version}");
        await r.CleanUpAsync(ct);
        return r;
    }

    private async Task CleanUpAsync(CancellationToken ct)
    {
        var (_, list) = await _cmd.RunAsync(["list", "-q"], ct);
        foreach (var id in list.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(i => i.StartsWith("kv", StringComparison.Ordinal)))
        {
            await _cmd.RunAsync(["delete", "-f", id], ct);
        }

        if (Directory.Exists(_bundles))
        {
            foreach (var dir in Directory.EnumerateDirectories(_bundles))
            {
                Native.Unmount(Path.Combine(dir, "rootfs"));
                TryDelete(dir);
            }
        }

        if (Directory.Exists(_sandboxes))
        {
            foreach (var dir in Directory.EnumerateDirectories(_sandboxes))
            {
                RemovePins(dir);
            }
        }

        Cgroups.RemoveTree("kvcluster");
    }

    public async Task<IPodSandbox> RunPodSandboxAsync(SandboxConfig config, CancellationToken ct)
    {
        var id = NewId();
        var dir = Path.Combine(_sandboxes, id);
        Directory.CreateDirectory(dir);
        var pins = new List<string>();
        if (!config.HostIpc)
        {
            pins.Add("ipc");
        }

        if (!config.HostNetwork)
        {
            pins.AddRange(["net", "uts"]);
        }

        var sandbox = new OciSandbox(this, id, dir, pins, config);
        try
        {
            await SandboxNamespaces.CreateAsync(dir, pins, config.Hostname);
            if (config.PauseImage is { } pause && !config.HostPid)
            {
                await sandbox.StartPauseAsync(pause, ct);
            }
        }
        catch (Exception e) when (e is IOException or OperationCanceledException)
        {
            // Not cancelled: once the namespaces may exist, the sandbox must be removed.
            await sandbox.DisposeAsync();
            throw;
        }

        return sandbox;
    }

    /// <summary>Removes pinned namespaces (bind mounts of nsfs files) and their directory.</summary>
    internal static void RemovePins(string dir)
    {
        foreach (var ns in new[] { "net", "ipc", "uts" })
        {
            Native.Unmount(Path.Combine(dir, ns));
        }

        TryDelete(dir);
    }

    internal static string NewId() => "kv" + Guid.NewGuid().ToString("N")[..30];

    internal string BundleDir(string id) => Path.Combine(_bundles, id);

    internal ILogger Log => _log;

    internal static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}

/// <summary>A sandbox: the pinned namespaces the pod's containers join.</summary>
internal sealed class OciSandbox(OciRuntime runtime, string id, string pinDir, IReadOnlyList<string> pins, SandboxConfig config) : IPodSandbox
{
    /// <summary>
    /// PID 1 of the pod's shared PID namespace: a shell that reaps what is reparented to it, in a container of
    /// its own (read-only busybox root, no capabilities), so that no process of the host is visible to the pod.
    /// </summary>
    private const string PauseScript = "trap 'exit 0' TERM INT; while :; do sleep 2147483647 & wait; done";

    private OciContainer? _pause;

    public string Id => id;

    public SandboxConfig Config => config;

    /// <summary>Starts the pause container (shareProcessNamespace): the containers started after it join its PID namespace.</summary>
    internal async Task StartPauseAsync(Image image, CancellationToken ct)
    {
        _pause = (OciContainer)await StartContainerAsync(new ContainerConfig
        {
            Name = "POD",
            Image = image,
            Args = ["/bin/sh", "-c", PauseScript],
            Env = ["PATH=/bin"],
            Security = new SecuritySettings { ReadOnlyRootFilesystem = true, CapabilitiesDrop = ["ALL"], AllowPrivilegeEscalation = false },
            Logs = static (stdout, stderr) => Task.WhenAll(stdout.CopyToAsync(Stream.Null), stderr.CopyToAsync(Stream.Null)),
        }, ct);
    }

    public async Task<IContainer> StartContainerAsync(ContainerConfig c, CancellationToken ct)
    {
        var cid = OciRuntime.NewId();
        var dir = runtime.BundleDir(cid);
        var rootfs = Path.Combine(dir, "rootfs");
        Directory.CreateDirectory(rootfs);
        Directory.CreateDirectory(Path.Combine(dir, "upper"));
        Directory.CreateDirectory(Path.Combine(dir, "work"));
        Native.MountOverlay(c.Image.RootFs, Path.Combine(dir, "upper"), Path.Combine(dir, "work"), rootfs);
        var ns = new Dictionary<string, string> { ["mount"] = "" };
        if (_pause is not null)
        {
            ns["pid"] = $"/proc/{_pause.Pid}/ns/pid";
        }
        else if (!config.HostPid)
        {
            ns["pid"] = "";
        }

        foreach (var (type, file) in new[] { ("ipc", "ipc"), ("network", "net"), ("uts", "uts") })
        {
            if (pins.Contains(file))
            {
                ns[type] = Path.Combine(pinDir, file);
            }
        }

        var spec = OciSpec.Build(c, rootfs, new OciSpec.Namespaces(ns), Cgroups.PodPath(config.PodUid, cid), null);
        await File.WriteAllTextAsync(Path.Combine(dir, "config.json"), spec.ToJsonString(), ct);
        // Detached: the runtime starts the container and exits, the container keeps the pipes as its stdio,
        // and its PID 1 is reparented to the agent (a subreaper), which waits for it. No runtime process
        // stays per container (a foreground `runc run` holds about 10 MiB for the container's lifetime).
        var pidFile = Path.Combine(dir, "pid");
        var runtimeLog = Path.Combine(dir, "runtime.log");
        // With a terminal (tty: true) the runtime sends the terminal's master to a console socket; the container's
        // stdio is the terminal, not the pipes.
        using var console = c.Tty ? ConsoleSocket.Listen() : null;
        string[] consoleArgs = console is null ? [] : ["--console-socket", console.Path];
        var psi = runtime.Command.StartInfo(["--log", runtimeLog, "--log-format", "json", "run", "-d", .. consoleArgs, "--pid-file", pidFile, "-b", dir, cid]);
        psi.RedirectStandardInput = psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        using var hold = OrphanReaper.Hold();
        var receiving = console?.ReceiveMasterAsync(TimeSpan.FromSeconds(30));
        Process p;
        try
        {
            p = OrphanReaper.StartChild(psi);
        }
        catch
        {
            Native.Unmount(rootfs);
            OciRuntime.TryDelete(dir);
            throw;
        }

        if (!c.Stdin || console is not null)
        {
            p.StandardInput.Close();
        }

        var logs = console is null ? c.Logs(p.StandardOutput.BaseStream, p.StandardError.BaseStream) : null;
        int exitCode = await OrphanReaper.WaitForExitAsync(p, CancellationToken.None);
        int pid = exitCode == 0 && File.Exists(pidFile) &&
            int.TryParse((await File.ReadAllTextAsync(pidFile, CancellationToken.None)).Trim(), out var read) ? read : -1;
        var terminal = exitCode == 0 && receiving is not null ? await ReceiveTerminalAsync(receiving) : null;
        var pidfd = pid > 0 && (receiving is null || terminal is not null) ? Native.TryPidfdOpen(pid) : -1;
        if (pidfd >= 0)
        {
            OrphanReaper.Claim(pid);
        }

        if (pidfd < 0)
        {
            var error = OciExec.RuntimeLogError(runtimeLog)
                ?? (receiving is not null && exitCode == 0 ? $"{runtime.Name} sent no terminal to the console socket" : $"{runtime.Name} run exited with {exitCode}");
            await runtime.Command.RunAsync(["delete", "-f", cid], CancellationToken.None);
            terminal?.Dispose();
            // A terminal that arrives after all (the runtime failed after sending it) is closed too.
            _ = receiving?.ContinueWith(static t => t.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            Native.Unmount(rootfs);
            OciRuntime.TryDelete(dir);
            p.Dispose();
            throw new IOException(error);
        }

        logs ??= c.Logs(terminal!.Output, Stream.Null);
        return new OciContainer(runtime, cid, dir, p, pidfd, pid, logs, c, config.PodUid, terminal);
    }

    private static async Task<PtyMaster?> ReceiveTerminalAsync(Task<Microsoft.Win32.SafeHandles.SafeFileHandle> receiving)
    {
        try
        {
            return new PtyMaster(await receiving);
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or SocketException)
        {
            return null;
        }
    }

    public Socket CreateSocket() => NetworkNamespace.CreateSocket(pins.Contains("net") ? Path.Combine(pinDir, "net") : null);

    public async ValueTask DisposeAsync()
    {
        if (_pause is not null)
        {
            await _pause.DisposeAsync();
        }

        OciRuntime.RemovePins(pinDir);
        Cgroups.RemovePod(config.PodUid);
    }
}

/// <summary>
/// One container instance, started detached: its PID 1 is the agent's child (as subreaper), waited for
/// on a thread of its own and signalled through a pidfd. The stopped container (and its cgroup, with the
/// OOM-kill count) stays until the agent deletes it.
/// </summary>
internal sealed class OciContainer : IContainer
{
    private readonly OciRuntime _runtime;
    private readonly string _id;
    private readonly Process _starter;
    private readonly int _pidfd;
    private readonly int _pid;
    private readonly TaskCompletionSource<int> _exitCode = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private readonly PtyMaster? _terminal;

    /// <param name="terminal">The container's terminal (tty: true): its stdin and resizes go there; without one, stdin is the runtime's pipe.</param>
    public OciContainer(
        OciRuntime runtime, string id, string dir, Process starter, int pidfd, int pid, Task logs, ContainerConfig config, string podUid,
        PtyMaster? terminal = null)
    {
        _runtime = runtime;
        _id = id;
        _starter = starter;
        _pidfd = pidfd;
        _pid = pid;
        StartedAt = DateTimeOffset.UtcNow;
        _terminal = terminal;
        Stdin = !config.Stdin ? null : terminal is not null ? terminal.Input : starter.StandardInput.BaseStream;
        Resize = terminal is null ? null : terminal.Resize;
        new Thread(Wait, 128 * 1024) { IsBackground = true, Name = "wait " + id[..8] }.Start();
        Exited = WaitAsync(dir, logs, podUid);
    }

    private void Wait()
    {
        try
        {
            _exitCode.TrySetResult(Native.WaitExit(_pidfd));
        }
        catch (IOException e)
        {
            _exitCode.TrySetException(e);
        }
        finally
        {
            OrphanReaper.Unclaim(_pid);
        }
    }

    public string ContainerId => $"{_runtime.Name}://{_id}";

    /// <summary>The container's PID 1, as the host sees it.</summary>
    internal int Pid => _pid;

    public DateTimeOffset StartedAt { get; }

    public Task<ContainerExit> Exited { get; }

    public Stream? Stdin { get; }

    public Action<ushort, ushort>? Resize { get; }

    private async Task<ContainerExit> WaitAsync(string dir, Task logs, string podUid)
    {
        int code;
        try
        {
            code = await _exitCode.Task;
        }
        catch (IOException)
        {
            code = 255;
        }

        var finished = DateTimeOffset.UtcNow;
        var oom = Cgroups.OomKills(podUid, _id) > 0;
        try
        {
            await logs.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A process the container left behind still holds the pipe; the runtime's delete kills it.
        }

        await _runtime.Command.RunAsync(["delete", "-f", _id], CancellationToken.None);
        Native.Close(_pidfd);
        _terminal?.Dispose();
        Native.Unmount(Path.Combine(dir, "rootfs"));
        OciRuntime.TryDelete(dir);
        _starter.Dispose();
        return new ContainerExit(code, finished, oom);
    }

    public Task SignalAsync(int signal, CancellationToken ct)
    {
        if (!_exitCode.Task.IsCompleted)
        {
            Native.PidfdSignal(_pidfd, signal);
        }

        return Task.CompletedTask;
    }

    public Task<IExecSession> ExecAsync(IReadOnlyList<string> command, bool tty, TerminalSize? size, CancellationToken ct) =>
        Exited.IsCompleted
            ? throw new ContainerLookupException($"container {_id} is not running")
            : OciExec.StartAsync(_runtime.Command.File, _runtime.Command.GlobalArgs, _id, command, tty, new ExecOptions { TerminalSize = size }, ct);

    public async ValueTask DisposeAsync()
    {
        if (!Exited.IsCompleted)
        {
            await SignalAsync(9, CancellationToken.None);
        }

        await Exited;
    }
}
