using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using KvCluster.NodeAgent.Server;
using Microsoft.Extensions.Logging;

namespace KvCluster.NodeAgent.Pods;

/// <summary>
/// Lists and watches the pods bound to this node (fieldSelector spec.nodeName) and keeps one worker per
/// pod uid; serves the workers' logs, exec and attach to the kubelet-style HTTPS server.
/// </summary>
public sealed class PodManager(PodContext ctx) : IContainerStreams
{
    private readonly ConcurrentDictionary<string, PodWorker> _workers = new();

    public int Count => _workers.Count;

    public async Task RunAsync(CancellationToken ct)
    {
        var selector = $"spec.nodeName={ctx.Node.Name}";
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var list = await ctx.Client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: selector, cancellationToken: ct);
                var seen = list.Items.Select(p => p.Uid()).ToHashSet();
                foreach (var pod in list.Items)
                {
                    Apply(pod);
                }

                foreach (var (uid, worker) in _workers)
                {
                    if (!seen.Contains(uid))
                    {
                        Remove(uid, worker);
                    }
                }

                await foreach (var (type, pod) in ctx.Client.CoreV1.WatchListPodForAllNamespacesAsync(
                    fieldSelector: selector, resourceVersion: list.ResourceVersion(), allowWatchBookmarks: true, cancellationToken: ct))
                {
                    switch (type)
                    {
                        case WatchEventType.Added or WatchEventType.Modified:
                            Apply(pod);
                            break;
                        case WatchEventType.Deleted when _workers.TryGetValue(pod.Uid(), out var w):
                            Remove(pod.Uid(), w);
                            break;
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                ctx.Log.LogWarning("pod watch ended: {Error}; listing again", e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
            }
        }

        await Task.WhenAll(_workers.Values.Select(w => w.DisposeAsync().AsTask()));
    }

    private void Apply(V1Pod pod)
    {
        if (_workers.TryGetValue(pod.Uid(), out var worker))
        {
            worker.Update(pod);
            return;
        }

        if (pod.Status?.Phase is "Succeeded" or "Failed" && pod.Metadata.DeletionTimestamp is null)
        {
            return;
        }

        worker = new PodWorker(ctx, pod);
        if (_workers.TryAdd(pod.Uid(), worker))
        {
            ctx.Log.LogInformation("pod {Namespace}/{Pod} ({Uid}) assigned to this node: starting", pod.Namespace(), pod.Name(), pod.Uid());
            worker.Start();
            worker.Update(pod);
            _ = worker.Completion.ContinueWith(_ => _workers.TryRemove(new(pod.Uid(), worker)), TaskScheduler.Default);
        }
    }

    private void Remove(string uid, PodWorker worker)
    {
        ctx.Log.LogInformation("pod {Namespace}/{Pod} ({Uid}) removed: stopping", worker.Pod.Namespace(), worker.Pod.Name(), uid);
        worker.Removed();
    }

    private PodWorker FindPod(string ns, string pod) =>
        _workers.Values.Where(w => w.Pod.Namespace() == ns && w.Pod.Name() == pod).OrderByDescending(w => w.Pod.Metadata.CreationTimestamp).FirstOrDefault()
            ?? throw new ContainerLookupException($"pod \"{pod}\" does not exist", notFound: true);

    private (PodWorker Worker, ContainerStatus Status) Find(string ns, string pod, string container)
    {
        var worker = FindPod(ns, pod);
        var status = worker.Containers.FirstOrDefault(c => c.Name == container)
            ?? throw new ContainerLookupException($"container \"{container}\" not found in pod \"{pod}\"", notFound: true);
        return (worker, status);
    }

    public ContainerLog FindLog(string ns, string pod, string container, bool previous)
    {
        var (worker, status) = Find(ns, pod, container);
        lock (worker.Lock)
        {
            if (previous)
            {
                return status.PreviousLogPath is { } p && File.Exists(p)
                    ? new ContainerLog(p, () => false)
                    : throw new ContainerLookupException($"previous terminated container \"{container}\" in pod \"{pod}\" not found");
            }

            var path = status.LogPath ?? throw new ContainerLookupException(Waiting(container, pod, status.State.Waiting?.Reason ?? "ContainerCreating"));
            return new ContainerLog(path, () =>
            {
                lock (worker.Lock)
                {
                    return status.LogPath == path && status.IsRunning;
                }
            });
        }
    }

    /// <summary>The kubelet's words for a log asked of a container that has not started (validateContainerLogStatus).</summary>
    private static string Waiting(string container, string pod, string reason) => reason switch
    {
        "ErrImagePull" => $"container \"{container}\" in pod \"{pod}\" is waiting to start: image can't be pulled",
        "ImagePullBackOff" => $"container \"{container}\" in pod \"{pod}\" is waiting to start: trying and failing to pull image",
        _ => $"container \"{container}\" in pod \"{pod}\" is waiting to start: {reason}",
    };

    /// <summary>The kubelet finds exec and attach targets among running containers only.</summary>
    private static string NotRunning(string container) => $"container not found (\"{container}\")";

    public ExecStart FindExec(string ns, string pod, string container)
    {
        var (worker, status) = Find(ns, pod, container);
        Runtime.IContainer running;
        lock (worker.Lock)
        {
            running = status.Running ?? throw new ContainerLookupException(NotRunning(container));
        }

        return running.ExecAsync;
    }

    public Func<System.Net.Sockets.Socket> FindPodNetwork(string ns, string pod)
    {
        var sandbox = FindPod(ns, pod).Sandbox ?? throw new ContainerLookupException($"pod \"{pod}\" has no sandbox yet");
        return sandbox.CreateSocket;
    }

    public ContainerAttach Attach(string ns, string pod, string container)
    {
        var (worker, status) = Find(ns, pod, container);
        var log = FindLog(ns, pod, container, previous: false);
        lock (worker.Lock)
        {
            var running = status.Running ?? throw new ContainerLookupException(NotRunning(container));
            var stdinOnce = worker.Pod.Spec.Containers.FirstOrDefault(c => c.Name == container)?.StdinOnce == true;
            return new ContainerAttach(log, running.Stdin, running.Resize is not null, running.Resize, stdinOnce);
        }
    }
}
