using k8s;
using k8s.Models;
using KvCluster.NodeAgent.Images;
using KvCluster.NodeAgent.Runtime;
using KvCluster.NodeAgent.Volumes;
using Microsoft.Extensions.Logging;

namespace KvCluster.NodeAgent.Pods;

/// <summary>
/// Runs one pod: volumes, sandbox, init containers in order, then the containers (each with its
/// restart loop and probes), and stops it all on deletion (preStop, SIGTERM, grace period, SIGKILL)
/// before removing the pod object. Status goes back to the apiserver whenever something changes.
/// </summary>
public sealed partial class PodWorker : IAsyncDisposable
{
    /// <summary>The pause container's image with shareProcessNamespace (the agent's built-in busybox).</summary>
    private const string PauseImage = "busybox";

    private readonly PodContext _ctx;
    private readonly object _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _dirty = new(0, 1);
    private readonly List<ContainerStatus> _init;
    private readonly List<ContainerStatus> _main;
    private readonly DateTime _startTime = DateTime.UtcNow;
    private V1Pod _pod;
    private IPodSandbox? _sandbox;

    /// <summary>The pod's sandbox once it is made (null before, and for a pod whose sandbox could not be made).</summary>
    internal IPodSandbox? Sandbox => _sandbox;
    private Dictionary<string, HostVolume> _volumes = [];
    private bool _initFailed;
    private bool _removed;
    private long _graceSeconds;
    private Task _run = Task.CompletedTask;
    private Task _statusLoop = Task.CompletedTask;
    private List<V1PodCondition>? _conditions;

    public PodWorker(PodContext ctx, V1Pod pod)
    {
        _ctx = ctx;
        _pod = pod;
        _init = [.. (pod.Spec.InitContainers ?? []).Select(c => new ContainerStatus(c.Name, c.Image, true) { State = ContainerStatus.Waiting("PodInitializing", null) })];
        _main = [.. pod.Spec.Containers.Select(c => new ContainerStatus(c.Name, c.Image, false) { State = ContainerStatus.Waiting(_init.Count > 0 ? "PodInitializing" : "ContainerCreating", null) })];
    }

    public string Uid => _pod.Uid();

    public V1Pod Pod => _pod;

    public IReadOnlyList<ContainerStatus> Containers => [.. _init, .. _main];

    public object Lock => _lock;

    public void Start()
    {
        _statusLoop = Task.Run(StatusLoopAsync);
        _run = Task.Run(RunAsync);
    }

    /// <summary>A newer version of the pod object (labels for the downward API, deletionTimestamp).</summary>
    public void Update(V1Pod pod)
    {
        _pod = pod;
        if (pod.Metadata.DeletionTimestamp is not null)
        {
            RequestStop(pod.Metadata.DeletionGracePeriodSeconds ?? pod.Spec.TerminationGracePeriodSeconds ?? 30, removed: false);
        }
    }

    /// <summary>The pod object is gone: stop what runs (with its grace period) and write nothing back.</summary>
    public void Removed() => RequestStop(_pod.Spec.TerminationGracePeriodSeconds ?? 30, removed: true);

    private void RequestStop(long graceSeconds, bool removed)
    {
        lock (_lock)
        {
            _removed |= removed;
            _graceSeconds = _stop.IsCancellationRequested ? Math.Min(_graceSeconds, graceSeconds) : graceSeconds;
            var deadline = DateTimeOffset.UtcNow.AddSeconds(_graceSeconds);
            _stopDeadline = deadline < _stopDeadline ? deadline : _stopDeadline;
        }

        _stop.Cancel();
        MarkDirty();
    }

    public Task Completion => _run;

    private async Task RunAsync()
    {
        var ct = _stop.Token;
        try
        {
            await PrepareAsync(ct);
            if (!await RunInitContainersAsync(ct))
            {
                return;
            }

            await Task.WhenAll(_pod.Spec.Containers.Select((c, i) => RunContainerAsync(c, _main[i], ct)));
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _ctx.Log.LogError(e, "pod {Namespace}/{Pod} worker failed", _pod.Namespace(), _pod.Name());
        }
        finally
        {
            await StopAsync();
        }
    }

    private async Task PrepareAsync(CancellationToken ct)
    {
        var podDir = _ctx.PodDir(Uid);
        Directory.CreateDirectory(podDir);
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                _volumes = await _ctx.Volumes.SetUpAsync(_pod, podDir, ct);
                break;
            }
            catch (VolumeException e)
            {
                if (attempt % 15 == 0)
                {
                    _ctx.Events.Warning(_pod, null, "FailedMount", e.Message);
                }

                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        }

        WriteEtcFiles(podDir);
        var spec = _pod.Spec;
        var config = new SandboxConfig(Uid, _pod.Namespace(), _pod.Name(),
            string.IsNullOrEmpty(spec.Hostname) ? _pod.Name() : spec.Hostname, spec.HostNetwork == true, spec.HostPID == true, spec.HostIPC == true, podDir);
        var backoff = Backoff.Restart();
        while (_sandbox is null)
        {
            try
            {
                // shareProcessNamespace: the pod's containers join the PID namespace of a pause container
                // (the built-in busybox image), as the kubelet's; the runtime lets hostPID win.
                var withPause = spec.ShareProcessNamespace == true
                    ? config with { PauseImage = await _ctx.Images.GetAsync(PauseImage, ct) }
                    : config;
                _sandbox = await _ctx.Runtime.RunPodSandboxAsync(withPause, ct);
            }
            catch (Exception e) when (e is IOException or ImageNotPresentException)
            {
                _ctx.Events.Warning(_pod, null, "FailedCreatePodSandBox", $"Failed to create pod sandbox: {e.Message}");
                _ctx.Log.LogWarning("pod {Namespace}/{Pod}: {Error}", _pod.Namespace(), _pod.Name(), e.Message);
                await Task.Delay(backoff.Next(TimeSpan.Zero), ct);
            }
        }

        MarkDirty();
        _ = Task.Run(() => RefreshVolumesAsync(podDir, ct), ct);
    }

    /// <summary>/etc/hosts and /etc/hostname for the pod's containers (not with hostNetwork, as the kubelet).</summary>
    private void WriteEtcFiles(string podDir)
    {
        var hostname = string.IsNullOrEmpty(_pod.Spec.Hostname) ? _pod.Name() : _pod.Spec.Hostname;
        File.WriteAllText(Path.Combine(podDir, "etc-hosts"),
            $"# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\t{hostname}\n");
        File.WriteAllText(Path.Combine(podDir, "etc-hostname"), hostname + "\n");
    }

    private async Task RefreshVolumesAsync(string podDir, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            await Task.Delay(TimeSpan.FromSeconds(5), ct);
            await _ctx.Volumes.RefreshAsync(_pod, podDir, ct);
        }
    }

    private async Task<bool> RunInitContainersAsync(CancellationToken ct)
    {
        for (var i = 0; i < _init.Count; i++)
        {
            var spec = _pod.Spec.InitContainers[i];
            var status = _init[i];
            var backoff = Backoff.Restart();
            while (true)
            {
                var exit = await RunInstanceAsync(spec, status, ct);
                if (exit?.ExitCode == 0)
                {
                    break;
                }

                if (_pod.Spec.RestartPolicy == "Never")
                {
                    lock (_lock)
                    {
                        _initFailed = true;
                        foreach (var c in _main)
                        {
                            c.State = ContainerStatus.Waiting("PodInitializing", null);
                        }
                    }

                    MarkDirty();
                    return false;
                }

                await BackOffAsync(status, backoff, ct);
            }
        }

        return true;
    }

    private async Task RunContainerAsync(V1Container spec, ContainerStatus status, CancellationToken ct)
    {
        var backoff = Backoff.Restart();
        var policy = _pod.Spec.RestartPolicy ?? "Always";
        while (!ct.IsCancellationRequested)
        {
            var exit = await RunInstanceAsync(spec, status, ct);
            if (exit is null || policy == "Never" || policy == "OnFailure" && exit.ExitCode == 0)
            {
                return;
            }

            await BackOffAsync(status, backoff, ct);
        }
    }

    private async Task BackOffAsync(ContainerStatus status, Backoff backoff, CancellationToken ct)
    {
        var ran = status.State.Terminated is { StartedAt: { } s, FinishedAt: { } f } ? f - s : TimeSpan.Zero;
        // The first restart is immediate, as in the kubelet; back-off (10 s, 20 s, …) applies from the second.
        if (status.RestartCount == 0)
        {
            return;
        }

        var delay = backoff.Next(ran);

        var pod = $"{_pod.Name()}_{_pod.Namespace()}({Uid})";
        lock (_lock)
        {
            status.LastState = status.State;
            status.State = ContainerStatus.Waiting("CrashLoopBackOff", $"back-off {Go(delay)} restarting failed container={status.Name} pod={pod}");
            status.Ready = false;
        }

        MarkDirty();
        _ctx.Events.Warning(_pod, status.Name, "BackOff", $"Back-off restarting failed container {status.Name} in pod {pod}");
        await Task.Delay(delay, ct);
    }

    private static string Go(TimeSpan t) => t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds}s" : $"{(int)t.TotalSeconds}s";

    public async ValueTask DisposeAsync()
    {
        RequestStop(0, removed: true);
        await _run;
        await _statusLoop;
    }
}
