using System.Collections.Concurrent;
using System.Diagnostics;
using k8s;
using k8s.Autorest;
using k8s.Models;
using KvCluster.Controllers.Client;
using KvCluster.Shared;
using Microsoft.Extensions.Logging;

namespace KvCluster.Controllers.Scheduler;

/// <summary>
/// The scheduler: watches pods and nodes, and puts each pending pod that names it (spec.schedulerName, by
/// default "default-scheduler") on a node through pods/binding. A pod no node fits gets kube-scheduler's
/// FailedScheduling event and PodScheduled=False (Unschedulable) condition, and is tried again when the
/// cluster changes. A bound pod is assumed on its node until the watch shows it there, so that the next
/// decisions count it.
/// </summary>
internal sealed class Scheduler
{
    private readonly IKubernetes _client;
    private readonly string _name;
    private readonly ILogger _log;
    private readonly EventRecorder _events;
    private readonly SchedulingQueue _queue;
    private readonly Random _random = new();
    private readonly ConcurrentDictionary<string, (string Key, string Node, V1Pod Pod)> _assumed = new();

    public Scheduler(IKubernetes client, string name, ILogger log, TimeProvider time)
    {
        _client = client;
        _name = name;
        _log = log;
        _events = new EventRecorder(client, name, null, log, action: "Scheduling");
        _queue = new SchedulingQueue(time);
        Pods = new Informer<V1Pod>("pods",
            async ct =>
            {
                var l = await client.CoreV1.ListPodForAllNamespacesAsync(cancellationToken: ct);
                return new(l.Items, l.ResourceVersion());
            },
            (rv, ct) => client.CoreV1.WatchListPodForAllNamespacesAsync(resourceVersion: rv, allowWatchBookmarks: true, cancellationToken: ct),
            log);
        Nodes = new Informer<V1Node>("nodes",
            async ct =>
            {
                var l = await client.CoreV1.ListNodeAsync(cancellationToken: ct);
                return new(l.Items, l.ResourceVersion());
            },
            (rv, ct) => client.CoreV1.WatchListNodeAsync(resourceVersion: rv, allowWatchBookmarks: true, cancellationToken: ct),
            log);
        Pods.Changed += OnPod;
        Nodes.Changed += (_, _) => _queue.ClusterChanged();
    }

    public Informer<V1Pod> Pods { get; }

    public Informer<V1Node> Nodes { get; }

    public bool Ready => Pods.Synced.IsCompleted && Nodes.Synced.IsCompleted;

    public async Task RunAsync(CancellationToken ct)
    {
        var informers = Task.WhenAll(Pods.RunAsync(ct), Nodes.RunAsync(ct));
        await Task.WhenAll(Pods.Synced, Nodes.Synced).WaitAsync(ct);
        _log.LogInformation("scheduler {Name}: {Pods} pods and {Nodes} nodes listed; scheduling", _name, Pods.Items.Count, Nodes.Items.Count);
        while (!ct.IsCancellationRequested)
        {
            SchedulerMetrics.Pending.WithLabels("active").Set(_queue.ActiveCount);
            SchedulerMetrics.Pending.WithLabels("unschedulable").Set(_queue.UnschedulableCount);
            _queue.Flush();
            string key;
            try
            {
                key = await _queue.NextAsync(TimeSpan.FromSeconds(1), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }

            if (key.Length > 0)
            {
                await ScheduleOneAsync(key, ct);
            }
        }

        await informers;
    }

    private bool Responsible(V1Pod pod) =>
        string.IsNullOrEmpty(pod.Spec?.NodeName)
        && (string.IsNullOrEmpty(pod.Spec?.SchedulerName) ? "default-scheduler" : pod.Spec.SchedulerName) == _name
        && pod.Metadata.DeletionTimestamp is null
        && pod.Status?.Phase is not ("Succeeded" or "Failed")
        && pod.Spec?.SchedulingGates is not { Count: > 0 };

    private void OnPod(V1Pod? old, V1Pod? pod)
    {
        var key = Informer<V1Pod>.Key((pod ?? old)!);
        if (pod is not null && Responsible(pod))
        {
            if (old is null || !SameForScheduling(old, pod))
            {
                // New, or changed in what scheduling reads; a status write (ours included) keeps its place and back-off.
                _queue.Add(key);
            }

            return;
        }

        _queue.Forget(key);
        if (pod is null || !string.IsNullOrEmpty(pod.Spec?.NodeName))
        {
            // Bound (by us or anyone) or gone: no longer assumed.
            _assumed.TryRemove((pod ?? old)!.Uid(), out _);
        }

        if (!string.IsNullOrEmpty(old?.Spec?.NodeName) && (pod is null || pod.Status?.Phase is "Succeeded" or "Failed"))
        {
            // A pod left its node (or ended): room for the unschedulable ones.
            _queue.ClusterChanged();
        }
    }

    private static bool SameForScheduling(V1Pod a, V1Pod b) =>
        KubernetesJson.Serialize(a.Spec) == KubernetesJson.Serialize(b.Spec)
        && KubernetesJson.Serialize(a.Metadata.Labels) == KubernetesJson.Serialize(b.Metadata.Labels)
        && a.Metadata.DeletionTimestamp == b.Metadata.DeletionTimestamp;

    private async Task ScheduleOneAsync(string key, CancellationToken ct)
    {
        if (Pods.Get(key) is not { } pod || !Responsible(pod) || _assumed.ContainsKey(pod.Uid()))
        {
            return;
        }

        var started = Stopwatch.GetTimestamp();
        var placement = Placement.Choose(pod, Snapshot(), _random);
        if (placement.Node is not { } node)
        {
            Observe("unschedulable", started);
            _log.LogInformation("unable to schedule {Pod}: {Why}", key, placement.Failure);
            _queue.Unschedulable(key);
            await ReportUnschedulableAsync(pod, placement.Failure!, ct);
            return;
        }

        _assumed[pod.Uid()] = (key, node, pod);
        try
        {
            await _client.CoreV1.CreateNamespacedPodBindingAsync(new V1Binding
            {
                Metadata = new V1ObjectMeta { Name = pod.Name(), NamespaceProperty = pod.Namespace(), Uid = pod.Uid() },
                Target = new V1ObjectReference { ApiVersion = "v1", Kind = "Node", Name = node },
            }, pod.Name(), pod.Namespace(), cancellationToken: ct);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            _assumed.TryRemove(pod.Uid(), out _);
            Observe("error", started);
            var why = e is HttpOperationException h ? h.Response.Content : e.Message;
            _log.LogWarning("binding {Pod} to {Node} failed: {Error}", key, node, why);
            if (e is HttpOperationException { Response.StatusCode: System.Net.HttpStatusCode.Conflict or System.Net.HttpStatusCode.NotFound })
            {
                // Bound meanwhile, or gone: the watch brings the truth.
                return;
            }

            _queue.Unschedulable(key);
            _events.Warning(pod, null, "FailedScheduling", $"Binding rejected: {why}");
            return;
        }

        Observe("scheduled", started);
        _queue.Forget(key);
        _log.LogInformation("scheduled {Pod} on {Node}", key, node);
        _events.Normal(pod, null, "Scheduled", $"Successfully assigned {key} to {node}");
    }

    private static void Observe(string result, long started)
    {
        SchedulerMetrics.Attempts.WithLabels(result).Inc();
        SchedulerMetrics.AttemptDuration.WithLabels(result).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    /// <summary>The nodes with the pods on them: those the watch shows there, and those assumed there.</summary>
    private List<NodeState> Snapshot()
    {
        var nodes = Nodes.Items.Select(n => new NodeState(n)).ToDictionary(n => n.Name);
        foreach (var pod in Pods.Items)
        {
            if (pod.Spec?.NodeName is { Length: > 0 } on && nodes.TryGetValue(on, out var state) && pod.Status?.Phase is not ("Succeeded" or "Failed"))
            {
                state.Add(pod);
            }
        }

        foreach (var (_, (_, node, pod)) in _assumed)
        {
            if (nodes.TryGetValue(node, out var state))
            {
                state.Add(pod);
            }
        }

        return nodes.Values.OrderBy(n => n.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>FailedScheduling, and PodScheduled=False with the same message (written only when it changes).</summary>
    private async Task ReportUnschedulableAsync(V1Pod pod, string message, CancellationToken ct)
    {
        var current = pod.Status?.Conditions?.FirstOrDefault(c => c.Type == "PodScheduled");
        if (current is { Status: "False", Reason: "Unschedulable" } && current.Message == message)
        {
            return;
        }

        _events.Warning(pod, null, "FailedScheduling", message);
        var patch = new V1Pod
        {
            Status = new V1PodStatus
            {
                Conditions = [new V1PodCondition { Type = "PodScheduled", Status = "False", Reason = "Unschedulable", Message = message, LastTransitionTime = DateTime.UtcNow }],
            },
        };
        try
        {
            await _client.CoreV1.PatchNamespacedPodStatusAsync(new V1Patch(KubernetesJson.Serialize(patch), V1Patch.PatchType.StrategicMergePatch),
                pod.Name(), pod.Namespace(), cancellationToken: ct);
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            _log.LogDebug("condition of {Pod} not written: {Error}", pod.Name(), e.Message);
        }
    }
}
