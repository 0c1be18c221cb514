using System.Globalization;
using k8s;
using k8s.Models;
using KvCluster.NodeAgent.Images;
using KvCluster.NodeAgent.Logs;
using KvCluster.NodeAgent.Probes;
using KvCluster.NodeAgent.Runtime;

namespace KvCluster.NodeAgent.Pods;

public sealed partial class PodWorker
{
    private DateTimeOffset _stopDeadline = DateTimeOffset.MaxValue;

    /// <summary>
    /// Runs one instance of a container to its end: image, configuration, start, postStart, probes,
    /// exit. Returns null when the pod is being stopped (the instance was stopped or never started).
    /// </summary>
    private async Task<ContainerExit?> RunInstanceAsync(V1Container spec, ContainerStatus status, CancellationToken ct)
    {
        var image = await PullAsync(spec, status, ct);
        var config = await ConfigureAsync(spec, status, image, ct);
        var instance = status.ContainerId is null ? 0 : status.RestartCount + 1;
        var logPath = _ctx.LogPath(_pod.Namespace(), _pod.Name(), Uid, spec.Name, instance);
        Directory.CreateDirectory(Path.GetDirectoryName(logPath)!);
        var termination = Path.Combine(_ctx.PodDir(Uid), "containers", spec.Name, $"{instance}-termination-log");
        Directory.CreateDirectory(Path.GetDirectoryName(termination)!);
        File.WriteAllBytes(termination, []);
        config = config with
        {
            Mounts = [.. config.Mounts, new MountSpec(termination, spec.TerminationMessagePath ?? "/dev/termination-log", false)],
            Logs = async (stdout, stderr) =>
            {
                using var writer = new CriLogWriter(logPath);
                await writer.PumpAsync(stdout, stderr, CancellationToken.None, terminal: spec.Tty == true);
            },
        };

        ct.ThrowIfCancellationRequested();
        IContainer container;
        try
        {
            container = await _sandbox!.StartContainerAsync(config, ct);
        }
        catch (IOException e)
        {
            lock (_lock)
            {
                status.State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 128, Reason = "StartError", Message = e.Message, FinishedAt = DateTime.UtcNow } };
            }

            _ctx.Events.Warning(_pod, spec.Name, "Failed", $"Error: {e.Message}");
            MarkDirty();
            return new ContainerExit(128, DateTimeOffset.UtcNow, false);
        }

        var hasStartup = spec.StartupProbe is not null && !status.Init;
        lock (_lock)
        {
            if (status.ContainerId is not null)
            {
                status.RestartCount = instance;
                status.LastState = status.State.Terminated is not null ? status.State : status.LastState;
            }

            status.PreviousLogPath = status.LogPath;
            status.LogPath = logPath;
            status.ContainerId = container.ContainerId;
            status.ImageId = image.Id;
            status.Running = container;
            status.State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = container.StartedAt.UtcDateTime } };
            status.Started = status.Init ? false : !hasStartup;
            status.Ready = !status.Init && spec.ReadinessProbe is null && !hasStartup;
        }

        MarkDirty();
        _ctx.Events.Normal(_pod, spec.Name, "Created", $"Created container {spec.Name}");
        _ctx.Events.Normal(_pod, spec.Name, "Started", $"Started container {spec.Name}");

        using var instanceDone = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var stopped = false;
        if (spec.Lifecycle?.PostStart is { } postStart)
        {
            var result = await RunHookAsync(postStart, container, spec, instanceDone.Token);
            if (!result.Success)
            {
                _ctx.Events.Warning(_pod, spec.Name, "FailedPostStartHook", $"PostStartHook failed: {result.Message}");
                await StopInstanceAsync(spec, container, DateTimeOffset.UtcNow.AddSeconds(_pod.Spec.TerminationGracePeriodSeconds ?? 30), runPreStop: false);
            }
        }

        var probes = status.Init ? Task.CompletedTask : RunProbesAsync(spec, status, container, instanceDone.Token);
        try
        {
            await container.Exited.WaitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            stopped = true;
            await StopInstanceAsync(spec, container, _stopDeadline, runPreStop: true);
        }

        var exit = await container.Exited;
        await instanceDone.CancelAsync();
        await probes;
        var message = TerminationMessage(spec, termination, logPath, exit.ExitCode);
        lock (_lock)
        {
            status.Running = null;
            status.Ready = false;
            status.State = new V1ContainerState
            {
                Terminated = new V1ContainerStateTerminated
                {
                    ExitCode = exit.ExitCode,
                    Reason = exit.OomKilled ? "OOMKilled" : exit.ExitCode == 0 ? "Completed" : "Error",
                    Message = message,
                    StartedAt = container.StartedAt.UtcDateTime,
                    FinishedAt = exit.FinishedAt.UtcDateTime,
                    ContainerID = container.ContainerId,
                },
            };
        }

        MarkDirty();
        return stopped ? null : exit;
    }

    /// <summary>terminationMessagePath's content, or with FallbackToLogsOnError the log's tail (2048 bytes, 80 lines) after a failure.</summary>
    private static string? TerminationMessage(V1Container spec, string file, string logPath, int exitCode)
    {
        var text = File.Exists(file) ? File.ReadAllText(file) : "";
        if (text.Length == 0 && exitCode != 0 && spec.TerminationMessagePolicy == "FallbackToLogsOnError" && File.Exists(logPath))
        {
            var lines = File.ReadLines(logPath).Select(l => l.Split(' ', 4) is { Length: 4 } p ? p[3] : "").TakeLast(80);
            text = string.Join("\n", lines);
            text = text.Length > 2048 ? text[^2048..] : text;
        }

        return text.Length == 0 ? null : text.Length > 4096 ? text[..4096] : text;
    }

    /// <summary>preStop (within the grace period), SIGTERM, and SIGKILL once the deadline passes.</summary>
    private async Task StopInstanceAsync(V1Container spec, IContainer container, DateTimeOffset deadline, bool runPreStop)
    {
        if (container.Exited.IsCompleted)
        {
            return;
        }

        _ctx.Events.Normal(_pod, spec.Name, "Killing", $"Stopping container {spec.Name}");
        using var budget = new CancellationTokenSource(Remaining(deadline));
        if (runPreStop && spec.Lifecycle?.PreStop is { } preStop)
        {
            var result = await RunHookAsync(preStop, container, spec, budget.Token);
            if (!result.Success)
            {
                _ctx.Events.Warning(_pod, spec.Name, "FailedPreStopHook", $"PreStopHook failed: {result.Message}");
            }
        }

        await container.SignalAsync(15, CancellationToken.None);
        try
        {
            await container.Exited.WaitAsync(Remaining(deadline));
        }
        catch (TimeoutException)
        {
            await container.SignalAsync(9, CancellationToken.None);
        }
    }

    private static TimeSpan Remaining(DateTimeOffset deadline)
    {
        var left = deadline == DateTimeOffset.MaxValue ? TimeSpan.FromSeconds(30) : deadline - DateTimeOffset.UtcNow;
        return left < TimeSpan.Zero ? TimeSpan.Zero : left;
    }

    private Task<ProbeResult> RunHookAsync(V1LifecycleHandler hook, IContainer container, V1Container spec, CancellationToken ct) =>
        ProbeRunner.RunAsync(new V1Probe { Exec = hook.Exec, HttpGet = hook.HttpGet, TcpSocket = hook.TcpSocket, TimeoutSeconds = 3600 }, _sandbox!, container, spec, ct);

    /// <summary>The image, as far as pulling applies on a node without a registry: present, or ErrImagePull then ImagePullBackOff.</summary>
    private async Task<Image> PullAsync(V1Container spec, ContainerStatus status, CancellationToken ct)
    {
        var backoff = new Backoff(TimeSpan.FromSeconds(10), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));
        while (true)
        {
            string error;
            try
            {
                var image = await _ctx.Images.GetAsync(spec.Image, ct);
                if (status.ContainerId is null)
                {
                    _ctx.Events.Normal(_pod, spec.Name, "Pulled", $"Container image \"{spec.Image}\" already present on machine");
                }

                return image;
            }
            catch (Exception e) when (e is ImageNotPresentException or FormatException)
            {
                error = e.Message;
            }

            if (spec.ImagePullPolicy == "Never")
            {
                SetWaiting(status, "ErrImageNeverPull", $"Container image \"{spec.Image}\" is not present with pull policy of Never");
                _ctx.Events.Warning(_pod, spec.Name, "ErrImageNeverPull", $"Container image \"{spec.Image}\" is not present with pull policy of Never");
                await Task.Delay(backoff.Next(TimeSpan.Zero), ct);
                continue;
            }

            _ctx.Events.Normal(_pod, spec.Name, "Pulling", $"Pulling image \"{spec.Image}\"");
            SetWaiting(status, "ErrImagePull", $"Failed to pull image \"{spec.Image}\": {error}");
            _ctx.Events.Warning(_pod, spec.Name, "Failed", $"Failed to pull image \"{spec.Image}\": {error}");
            _ctx.Events.Warning(_pod, spec.Name, "Failed", "Error: ErrImagePull");
            await Task.Delay(TimeSpan.FromSeconds(1), ct);
            SetWaiting(status, "ImagePullBackOff", $"Back-off pulling image \"{spec.Image}\"");
            _ctx.Events.Normal(_pod, spec.Name, "BackOff", $"Back-off pulling image \"{spec.Image}\"");
            _ctx.Events.Warning(_pod, spec.Name, "Failed", "Error: ImagePullBackOff");
            await Task.Delay(backoff.Next(TimeSpan.Zero), ct);
        }
    }

    private void SetWaiting(ContainerStatus status, string reason, string message)
    {
        lock (_lock)
        {
            status.State = ContainerStatus.Waiting(reason, message);
        }

        MarkDirty();
    }

    private async Task<ContainerConfig> ConfigureAsync(V1Container spec, ContainerStatus status, Image image, CancellationToken ct)
    {
        string? last = null;
        while (true)
        {
            try
            {
                return await BuildConfigAsync(spec, image, ct);
            }
            catch (ContainerConfigException e)
            {
                SetWaiting(status, "CreateContainerConfigError", e.Message);
                if (e.Message != last)
                {
                    _ctx.Events.Warning(_pod, spec.Name, "Failed", $"Error: {e.Message}");
                    last = e.Message;
                }

                await Task.Delay(TimeSpan.FromSeconds(2), ct);
            }
        }
    }

    private async Task<ContainerConfig> BuildConfigAsync(V1Container spec, Image image, CancellationToken ct)
    {
        var env = await _ctx.Env.ResolveAsync(_pod, spec, image.Env, ct);
        var command = (spec.Command ?? []).Select(a => EnvResolver.Expand(a, env)).ToList();
        var args = (spec.Args ?? []).Select(a => EnvResolver.Expand(a, env)).ToList();
        List<string> argv = command.Count > 0 ? [.. command, .. args]
            : args.Count > 0 ? [.. image.Entrypoint, .. args]
            : [.. image.Entrypoint, .. image.Cmd];
        if (argv.Count == 0)
        {
            throw new ContainerConfigException("no command specified");
        }

        var security = Security(spec, image);
        return new ContainerConfig
        {
            Name = spec.Name,
            Image = image,
            Args = argv,
            Env = [.. env.Select(kv => $"{kv.Key}={kv.Value}")],
            WorkingDir = spec.WorkingDir is { Length: > 0 } w ? w : image.WorkingDir ?? "/",
            Mounts = Mounts(spec),
            Resources = Resources(spec) with { PidsLimit = _ctx.Node.PodMaxPids >= 0 ? _ctx.Node.PodMaxPids : null },
            Security = security,
            Stdin = spec.Stdin == true,
            StdinOnce = spec.StdinOnce == true,
            Tty = spec.Tty == true,
            Logs = (_, _) => Task.CompletedTask,
        };
    }

    private List<MountSpec> Mounts(V1Container spec)
    {
        var mounts = new List<MountSpec>();
        foreach (var m in spec.VolumeMounts ?? [])
        {
            if (!_volumes.TryGetValue(m.Name, out var v))
            {
                throw new ContainerConfigException($"cannot find volume \"{m.Name}\" to mount into container \"{spec.Name}\"");
            }

            var source = v.Path;
            if (!string.IsNullOrEmpty(m.SubPath))
            {
                if (m.SubPath.Split('/').Contains("..") || Path.IsPathRooted(m.SubPath))
                {
                    throw new ContainerConfigException($"invalid subPath \"{m.SubPath}\": must not contain '..' or be absolute");
                }

                source = Path.Combine(v.Path, m.SubPath);
                if (!File.Exists(source) && !Directory.Exists(source))
                {
                    Directory.CreateDirectory(source);
                }
            }

            mounts.Add(new MountSpec(source, m.MountPath, m.ReadOnlyProperty == true || v.ReadOnly));
        }

        if (_pod.Spec.HostNetwork != true)
        {
            var podDir = _ctx.PodDir(Uid);
            if (!mounts.Any(m => m.Destination == "/etc/hosts"))
            {
                mounts.Add(new MountSpec(Path.Combine(podDir, "etc-hosts"), "/etc/hosts", false));
            }

            if (!mounts.Any(m => m.Destination == "/etc/hostname"))
            {
                mounts.Add(new MountSpec(Path.Combine(podDir, "etc-hostname"), "/etc/hostname", false));
            }
        }

        return mounts;
    }

    private static ResourceLimits Resources(V1Container spec)
    {
        var limits = spec.Resources?.Limits;
        var requests = spec.Resources?.Requests;
        decimal? Get(IDictionary<string, ResourceQuantity>? set, string name) => set is not null && set.TryGetValue(name, out var q) ? q.ToDecimal() : null;
        var cpuRequest = Get(requests, "cpu") ?? Get(limits, "cpu");
        var cpuLimit = Get(limits, "cpu");
        return new ResourceLimits
        {
            MemoryLimitBytes = Get(limits, "memory") is { } m ? (long)m : null,
            CpuShares = cpuRequest is { } r ? (ulong)Math.Max(2, Math.Ceiling(r * 1024)) : 2,
            CpuQuotaMicros = cpuLimit is { } l ? (long)Math.Max(1000, Math.Ceiling(l * 100_000)) : null,
        };
    }

    private SecuritySettings Security(V1Container spec, Image image)
    {
        var pod = _pod.Spec.SecurityContext;
        var c = spec.SecurityContext;
        var uid = c?.RunAsUser ?? pod?.RunAsUser;
        var gid = c?.RunAsGroup ?? pod?.RunAsGroup;
        if (uid is null && image.User is { } user)
        {
            var parts = user.Split(':');
            if (long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var u))
            {
                uid = u;
            }
            else if ((c?.RunAsNonRoot ?? pod?.RunAsNonRoot) == true)
            {
                throw new ContainerConfigException($"container has runAsNonRoot and image has non-numeric user ({user}), cannot verify user is non-root (pod: \"{_pod.Name()}_{_pod.Namespace()}({Uid})\", container: {spec.Name})");
            }

            if (gid is null && parts.Length > 1 && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var g))
            {
                gid = g;
            }
        }

        if ((c?.RunAsNonRoot ?? pod?.RunAsNonRoot) == true && (uid ?? 0) == 0)
        {
            throw new ContainerConfigException($"container has runAsNonRoot and image will run as root (pod: \"{_pod.Name()}_{_pod.Namespace()}({Uid})\", container: {spec.Name})");
        }

        return new SecuritySettings
        {
            RunAsUser = uid,
            RunAsGroup = gid,
            SupplementalGroups = [.. (pod?.SupplementalGroups ?? []).Select(g => g ?? 0)],
            Privileged = c?.Privileged == true,
            ReadOnlyRootFilesystem = c?.ReadOnlyRootFilesystem == true,
            AllowPrivilegeEscalation = c?.AllowPrivilegeEscalation ?? true,
            CapabilitiesAdd = [.. c?.Capabilities?.Add ?? []],
            CapabilitiesDrop = [.. c?.Capabilities?.Drop ?? []],
        };
    }
}
