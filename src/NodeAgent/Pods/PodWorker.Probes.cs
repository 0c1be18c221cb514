using k8s.Models;
using KvCluster.NodeAgent.Probes;
using KvCluster.NodeAgent.Runtime;

namespace KvCluster.NodeAgent.Pods;

public sealed partial class PodWorker
{
    /// <summary>
    /// The probes of one container instance: startup first (liveness and readiness wait for it), then
    /// liveness (failureThreshold failures in a row restart the container) and readiness (sets Ready).
    /// Kubernetes' defaults: period 10 s, timeout 1 s, success 1, failure 3, no initial delay.
    /// </summary>
    private async Task RunProbesAsync(V1Container spec, ContainerStatus status, IContainer container, CancellationToken ct)
    {
        try
        {
            if (spec.StartupProbe is { } startup)
            {
                if (!await ProbeUntilAsync(startup, "Startup", spec, container, success: true, ct))
                {
                    await KillForProbeAsync(spec, container, "startup");
                    return;
                }

                lock (_lock)
                {
                    status.Started = true;
                    status.Ready = spec.ReadinessProbe is null;
                }

                MarkDirty();
            }

            var liveness = spec.LivenessProbe is { } live ? LivenessAsync(live, spec, container, ct) : Task.CompletedTask;
            var readiness = spec.ReadinessProbe is { } ready ? ReadinessAsync(ready, spec, status, container, ct) : Task.CompletedTask;
            await Task.WhenAll(liveness, readiness);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    private async Task LivenessAsync(V1Probe probe, V1Container spec, IContainer container, CancellationToken ct)
    {
        if (!await ProbeUntilAsync(probe, "Liveness", spec, container, success: false, ct))
        {
            await KillForProbeAsync(spec, container, "liveness");
        }
    }

    private async Task ReadinessAsync(V1Probe probe, V1Container spec, ContainerStatus status, IContainer container, CancellationToken ct)
    {
        await Task.Delay(TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0), ct);
        int successes = 0, failures = 0;
        while (!ct.IsCancellationRequested && !container.Exited.IsCompleted)
        {
            var result = await ProbeRunner.RunAsync(probe, _sandbox!, container, spec, ct);
            successes = result.Success ? successes + 1 : 0;
            failures = result.Success ? 0 : failures + 1;
            bool? ready = successes >= (probe.SuccessThreshold ?? 1) ? true : failures >= (probe.FailureThreshold ?? 3) ? false : null;
            if (!result.Success && !container.Exited.IsCompleted)
            {
                _ctx.Events.Warning(_pod, spec.Name, "Unhealthy", $"Readiness probe failed: {result.Message}");
            }

            if (ready is { } r && r != status.Ready)
            {
                lock (_lock)
                {
                    status.Ready = r;
                }

                MarkDirty();
            }

            await Task.Delay(TimeSpan.FromSeconds(probe.PeriodSeconds ?? 10), ct);
        }
    }

    /// <summary>
    /// Probes every period until the outcome is decided: with <paramref name="success"/> (startup) until
    /// successThreshold successes (true) or failureThreshold failures (false); otherwise (liveness) until
    /// failureThreshold failures in a row (false), for as long as the instance runs.
    /// </summary>
    private async Task<bool> ProbeUntilAsync(V1Probe probe, string kind, V1Container spec, IContainer container, bool success, CancellationToken ct)
    {
        await Task.Delay(TimeSpan.FromSeconds(probe.InitialDelaySeconds ?? 0), ct);
        int successes = 0, failures = 0;
        while (!container.Exited.IsCompleted)
        {
            var result = await ProbeRunner.RunAsync(probe, _sandbox!, container, spec, ct);
            if (container.Exited.IsCompleted)
            {
                break;
            }

            successes = result.Success ? successes + 1 : 0;
            failures = result.Success ? 0 : failures + 1;
            if (!result.Success)
            {
                _ctx.Events.Warning(_pod, spec.Name, "Unhealthy", $"{kind} probe failed: {result.Message}");
            }

            if (success && successes >= (probe.SuccessThreshold ?? 1))
            {
                return true;
            }

            if (failures >= (probe.FailureThreshold ?? 3))
            {
                return false;
            }

            await Task.Delay(TimeSpan.FromSeconds(probe.PeriodSeconds ?? 10), ct);
        }

        return true;
    }

    private async Task KillForProbeAsync(V1Container spec, IContainer container, string kind)
    {
        _ctx.Events.Normal(_pod, spec.Name, "Killing", $"Container {spec.Name} failed {kind} probe, will be restarted");
        await StopInstanceAsync(spec, container, DateTimeOffset.UtcNow.AddSeconds(_pod.Spec.TerminationGracePeriodSeconds ?? 30), runPreStop: true);
    }
}
