using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using KvCluster.NodeAgent.Volumes;
using Microsoft.Extensions.Logging;

namespace KvCluster.NodeAgent.Pods;

public sealed partial class PodWorker
{
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string? _lastWritten;

    private void MarkDirty()
    {
        if (_dirty.CurrentCount == 0)
        {
            try
            {
                _dirty.Release();
            }
            catch (SemaphoreFullException)
            {
            }
        }
    }

    /// <summary>
    /// Writes the status at once (as the kubelet's first sync does: Pending, containers waiting in
    /// ContainerCreating, even while a volume cannot be mounted), then whenever it changed (coalescing
    /// bursts), and every 10 s regardless.
    /// </summary>
    private async Task StatusLoopAsync()
    {
        MarkDirty();
        while (true)
        {
            await _dirty.WaitAsync(TimeSpan.FromSeconds(10));
            var finished = _finished.Task.IsCompleted;
            if (_removed)
            {
                return;
            }

            await Task.Delay(20);
            await WriteStatusAsync();
            if (finished)
            {
                return;
            }
        }
    }

    public V1PodStatus BuildStatus()
    {
        lock (_lock)
        {
            var phase = PodStatusBuilder.Phase(_pod, _init, _main, _initFailed);
            var conditions = PodStatusBuilder.Conditions(_pod, _init, _main, phase, _sandbox is not null && !_finished.Task.IsCompleted || phase is "Succeeded" or "Failed" && _sandbox is not null, _conditions);
            _conditions = conditions;
            var hostNetwork = _pod.Spec.HostNetwork == true;
            return new V1PodStatus
            {
                Phase = phase,
                Conditions = conditions,
                HostIP = _ctx.Node.Address,
                HostIPs = [new V1HostIP { Ip = _ctx.Node.Address }],
                PodIP = hostNetwork ? _ctx.Node.Address : null,
                PodIPs = hostNetwork ? [new V1PodIP { Ip = _ctx.Node.Address }] : null,
                StartTime = _startTime,
                QosClass = PodStatusBuilder.QosClass(_pod.Spec),
                InitContainerStatuses = _init.Count > 0 ? [.. _init.Select(c => c.ToApi())] : null,
                ContainerStatuses = [.. _main.Select(c => c.ToApi())],
            };
        }
    }

    private async Task WriteStatusAsync()
    {
        var json = KubernetesJson.Serialize(BuildStatus());
        // The periodic wake-up writes only what changed: an unchanged pod costs the apiserver nothing.
        if (json == _lastWritten)
        {
            return;
        }

        var patch = new V1Patch("{\"status\":" + json + "}", V1Patch.PatchType.MergePatch);
        try
        {
            await _ctx.Client.CoreV1.PatchNamespacedPodStatusAsync(patch, _pod.Name(), _pod.Namespace());
            _lastWritten = json;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
        }
        catch (Exception e)
        {
            _ctx.Log.LogWarning("status of pod {Namespace}/{Pod} not written: {Error}", _pod.Namespace(), _pod.Name(), e.Message);
            await Task.Delay(500);
            MarkDirty();
        }
    }

    /// <summary>
    /// After the containers ended (completed, or stopped for deletion): the sandbox and volumes go, the
    /// last status is written, and a pod being deleted is removed from the apiserver (grace 0, this uid).
    /// </summary>
    private async Task StopAsync()
    {
        if (_sandbox is { } sandbox)
        {
            await sandbox.DisposeAsync();
        }

        VolumeManager.TearDown(_ctx.PodDir(Uid));
        MarkDirty();
        try
        {
            await Task.Delay(Timeout.Infinite, _stop.Token);
        }
        catch (OperationCanceledException)
        {
        }

        _finished.TrySetResult();
        MarkDirty();
        await _statusLoop;
        if (!_removed)
        {
            try
            {
                await _ctx.Client.CoreV1.DeleteNamespacedPodAsync(_pod.Name(), _pod.Namespace(),
                    new V1DeleteOptions { GracePeriodSeconds = 0, Preconditions = new V1Preconditions { Uid = Uid } });
            }
            catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Conflict)
            {
            }
        }

        OciRemovePodDir();
    }

    private void OciRemovePodDir()
    {
        Runtime.OciRuntime.TryDelete(_ctx.PodDir(Uid));
        Runtime.OciRuntime.TryDelete(_ctx.LogDir(_pod.Namespace(), _pod.Name(), Uid));
    }
}
