using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using KvCluster.NodeAgent.Images;
using KvCluster.NodeAgent.Server;
using Microsoft.Extensions.Logging;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// Runs pods with an OCI runtime (runc or crun): a sandbox is a pause process (busybox sleep) owning the
/// pod's network, IPC and UTS namespaces; each container is a bundle whose root is an overlay of its
/// image, run in the foreground by the runtime so the agent holds its stdio and its exit status.
/// State: &lt;root-dir&gt;/runtime (the runtime's --root), bundles in &lt;root-dir&gt;/containers/&lt;id&gt;.
/// </summary>
public sealed class OciRuntime : IContainerRuntime
{
    private readonly OciCommand _cmd;
    private readonly string _bundles;
    private readonly ImageStore _images;
    private readonly ILogger _log;

    private OciRuntime(OciCommand cmd, string rootDir, ImageStore images, ILogger log, string version)
    {
        _cmd = cmd;
        _bundles = Path.Combine(rootDir, "containers");
        _images = images;
        _log = log;
        Version = version;
    }

    public string Name => _cmd.Name;

    public string Version { get; }

    internal OciCommand Command => _cmd;

    /// <summary>Creates the runtime and removes what an earlier run of the agent left (containers, mounts, bundles).</summary>
    public static async Task<OciRuntime> CreateAsync(string runtime, string rootDir, ImageStore images, ILogger log, CancellationToken ct)
    {
        var state = Path.Combine(rootDir, "runtime", runtime);
        Directory.CreateDirectory(state);
        var cmd = OciCommand.For(runtime, state);
        var version = await cmd.VersionAsync();
        var r = new OciRuntime(cmd, rootDir, images, log, $"{runtime}://{version}");
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

        Cgroups.RemoveTree("kvcluster");
    }

    public async Task<IPodSandbox> RunPodSandboxAsync(SandboxConfig config, CancellationToken ct)
    {
        var pause = await _images.GetAsync("busybox", ct);
        var id = NewId();
        var bundle = Path.Combine(_bundles, id);
        Directory.CreateDirectory(bundle);
        var ns = new Dictionary<string, string> { ["mount"] = "" };
        if (!config.HostPid)
        {
            ns["pid"] = "";
        }

        if (!config.HostIpc)
        {
            ns["ipc"] = "";
        }

        if (!config.HostNetwork)
        {
            ns["network"] = "";
            ns["uts"] = "";
        }

        var spec = OciSpec.Build(new ContainerConfig
        {
            Name = "pause",
            Image = pause,
            Args = ["sleep", "2147483647"],
            Env = ["PATH=/bin"],
            Security = new SecuritySettings { ReadOnlyRootFilesystem = true, CapabilitiesDrop = ["ALL"] },
            Logs = (_, _) => Task.CompletedTask,
        }, pause.RootFs, new OciSpec.Namespaces(ns), Cgroups.PodPath(config.PodUid, "pause"), config.HostNetwork ? null : config.Hostname);
        await File.WriteAllTextAsync(Path.Combine(bundle, "config.json"), spec.ToJsonString(), ct);

        var pidFile = Path.Combine(bundle, "pid");
        // The detached pause process inherits the runtime's stdio: none of it may be a pipe we wait on.
        var errFile = Path.Combine(bundle, "run.err");
        var psi = new ProcessStartInfo("sh") { UseShellExecute = false };
        foreach (var a in new[] { "-c", "err=$1; shift; exec \"$@\" </dev/null >/dev/null 2>\"$err\"", "sh", errFile, _cmd.File })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var a in _cmd.GlobalArgs.Concat(["run", "-d", "--pid-file", pidFile, "-b", bundle, id]))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        // Not cancelled: once started, the sandbox must be returned so that it is also removed.
        await p.WaitForExitAsync(CancellationToken.None);
        if (p.ExitCode != 0)
        {
            var err = File.Exists(errFile) ? await File.ReadAllTextAsync(errFile, ct) : "";
            TryDelete(bundle);
            throw new IOException($"failed to start the pod sandbox: {_cmd.Name}: {err.Trim()}");
        }

        var pid = int.Parse((await File.ReadAllTextAsync(pidFile, ct)).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        return new OciSandbox(this, id, bundle, pid, config);
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

/// <summary>A sandbox: the pause process whose namespaces the pod's containers join.</summary>
internal sealed class OciSandbox(OciRuntime runtime, string id, string bundle, int pausePid, SandboxConfig config) : IPodSandbox
{
    public string Id => id;

    public SandboxConfig Config => config;

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
        if (!config.HostPid)
        {
            ns["pid"] = "";
        }

        foreach (var (type, file, host) in new[] { ("ipc", "ipc", config.HostIpc), ("network", "net", config.HostNetwork), ("uts", "uts", config.HostNetwork) })
        {
            if (!host)
            {
                ns[type] = $"/proc/{pausePid}/ns/{file}";
            }
        }

        var spec = OciSpec.Build(c, rootfs, new OciSpec.Namespaces(ns), Cgroups.PodPath(config.PodUid, cid), null);
        await File.WriteAllTextAsync(Path.Combine(dir, "config.json"), spec.ToJsonString(), ct);
        // runc keeps a stopped container (and its cgroup, with the OOM-kill count) until deleted; crun 1.8 has no --keep.
        var psi = runtime.Command.StartInfo(runtime.Name == "runc" ? ["run", "--keep", "-b", dir, cid] : ["run", "-b", dir, cid]);
        psi.RedirectStandardInput = psi.RedirectStandardOutput = psi.RedirectStandardError = true;
        Process p;
        try
        {
            p = Process.Start(psi) ?? throw new IOException($"cannot start {runtime.Command.File}");
        }
        catch
        {
            Native.Unmount(rootfs);
            OciRuntime.TryDelete(dir);
            throw;
        }

        if (!c.Stdin)
        {
            p.StandardInput.Close();
        }

        return new OciContainer(runtime, cid, dir, p, c, config.PodUid);
    }

    public Socket CreateSocket() => NetworkNamespace.CreateSocket(config.HostNetwork ? null : $"/proc/{pausePid}/ns/net");

    public async ValueTask DisposeAsync()
    {
        await runtime.Command.RunAsync(["kill", id, "KILL"], CancellationToken.None);
        for (var i = 0; i < 50 && Directory.Exists($"/proc/{pausePid}"); i++)
        {
            await Task.Delay(20);
        }

        await runtime.Command.RunAsync(["delete", "-f", id], CancellationToken.None);
        OciRuntime.TryDelete(bundle);
        Cgroups.RemovePod(config.PodUid);
    }
}

/// <summary>One container instance run in the foreground by the runtime (runc run --keep).</summary>
internal sealed class OciContainer : IContainer
{
    private readonly OciRuntime _runtime;
    private readonly string _id;
    private readonly Process _process;
    private readonly bool _memoryLimited;
    private volatile bool _killedByAgent;

    public OciContainer(OciRuntime runtime, string id, string dir, Process process, ContainerConfig config, string podUid)
    {
        _runtime = runtime;
        _id = id;
        _process = process;
        StartedAt = DateTimeOffset.UtcNow;
        Stdin = config.Stdin ? process.StandardInput.BaseStream : null;
        _memoryLimited = config.Resources.MemoryLimitBytes is not null;
        var logs = config.Logs(process.StandardOutput.BaseStream, process.StandardError.BaseStream);
        Exited = WaitAsync(dir, logs, podUid);
    }

    public string ContainerId => $"{_runtime.Name}://{_id}";

    public DateTimeOffset StartedAt { get; }

    public Task<ContainerExit> Exited { get; }

    public Stream? Stdin { get; }

    private async Task<ContainerExit> WaitAsync(string dir, Task logs, string podUid)
    {
        await _process.WaitForExitAsync();
        var finished = DateTimeOffset.UtcNow;
        var code = _process.ExitCode;
        // crun removes the cgroup as the container exits: there, a SIGKILL the agent did not send to a
        // memory-limited container is taken for the OOM killer's.
        var oom = _runtime.Name == "runc"
            ? Cgroups.OomKills(podUid, _id) > 0
            : code == 137 && _memoryLimited && !_killedByAgent;
        try
        {
            await logs.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (TimeoutException)
        {
            // A process the container left behind still holds the pipe; the runtime's delete kills it.
        }

        await _runtime.Command.RunAsync(["delete", "-f", _id], CancellationToken.None);
        Native.Unmount(Path.Combine(dir, "rootfs"));
        OciRuntime.TryDelete(dir);
        _process.Dispose();
        return new ContainerExit(code, finished, oom);
    }

    public async Task SignalAsync(int signal, CancellationToken ct)
    {
        if (!Exited.IsCompleted)
        {
            _killedByAgent |= signal == 9;
            await _runtime.Command.RunAsync(["kill", _id, signal.ToString(System.Globalization.CultureInfo.InvariantCulture)], ct);
        }
    }

    public Task<IExecSession> ExecAsync(IReadOnlyList<string> command, bool tty, CancellationToken ct) =>
        Exited.IsCompleted
            ? throw new ContainerLookupException($"container {_id} is not running")
            : OciExec.StartAsync(_runtime.Command.File, _runtime.Command.GlobalArgs, _id, command, tty, null, ct);

    public async ValueTask DisposeAsync()
    {
        if (!Exited.IsCompleted)
        {
            await SignalAsync(9, CancellationToken.None);
        }

        await Exited;
    }
}
