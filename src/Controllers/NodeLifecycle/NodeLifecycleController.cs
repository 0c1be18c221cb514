using k8s;
using k8s.Autorest;
using k8s.Models;
using KvCluster.Controllers.Client;
using Microsoft.Extensions.Logging;

namespace KvCluster.Controllers.NodeLifecycle;

/// <summary>
/// kube-controller-manager's node lifecycle controller, its health part: a node whose agent has not renewed
/// its Lease (kube-node-lease) nor posted status for the grace period gets its conditions set to Unknown
/// ("Kubelet stopped posting node status.") and the <c>node.kubernetes.io/unreachable:NoSchedule</c> taint; a
/// node reporting Ready=False gets <c>node.kubernetes.io/not-ready:NoSchedule</c>. Both go once the node is
/// heard from and Ready again, so the scheduler stops and resumes placing pods there.
/// </summary>
internal sealed class NodeLifecycleController
{
    public const string Unreachable = "node.kubernetes.io/unreachable";
    public const string NotReady = "node.kubernetes.io/not-ready";
    private const string LeaseNamespace = "kube-node-lease";

    private readonly IKubernetes _client;
    private readonly Informer<V1Node> _nodes;
    private readonly TimeSpan _grace;
    private readonly TimeSpan _period;
    private readonly ILogger _log;
    private readonly TimeProvider _time;

    public NodeLifecycleController(IKubernetes client, Informer<V1Node> nodes, TimeSpan grace, TimeSpan period, ILogger log, TimeProvider time)
    {
        _client = client;
        _nodes = nodes;
        _grace = grace;
        _period = period;
        _log = log;
        _time = time;
        Leases = new Informer<V1Lease>("leases",
            async ct =>
            {
                var l = await client.CoordinationV1.ListNamespacedLeaseAsync(LeaseNamespace, cancellationToken: ct);
                return new(l.Items, l.ResourceVersion());
            },
            (rv, ct) => client.CoordinationV1.WatchListNamespacedLeaseAsync(LeaseNamespace, resourceVersion: rv, allowWatchBookmarks: true, cancellationToken: ct),
            log);
    }

    public Informer<V1Lease> Leases { get; }

    public async Task RunAsync(CancellationToken ct)
    {
        var leases = Leases.RunAsync(ct);
        try
        {
            await Task.WhenAll(Leases.Synced, _nodes.Synced).WaitAsync(ct);
            while (!ct.IsCancellationRequested)
            {
                foreach (var node in _nodes.Items)
                {
                    await CheckAsync(node, ct);
                }

                await Task.Delay(_period, _time, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }

        await leases;
    }

    /// <summary>When the node was last heard from: its Lease's renewal or its Ready heartbeat, whichever is later (its creation, if neither).</summary>
    internal static DateTime? LastHeard(V1Node node, V1Lease? lease)
    {
        var heartbeat = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready")?.LastHeartbeatTime;
        var renewed = lease?.Spec?.RenewTime;
        DateTime? latest = heartbeat is null ? renewed : renewed is null ? heartbeat : (heartbeat > renewed ? heartbeat : renewed);
        return latest ?? node.Metadata.CreationTimestamp;
    }

    private async Task CheckAsync(V1Node node, CancellationToken ct)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        var ready = node.Status?.Conditions?.FirstOrDefault(c => c.Type == "Ready");
        bool silent = LastHeard(node, Leases.Get($"{LeaseNamespace}/{node.Name()}")) is { } heard && now - heard.ToUniversalTime() > _grace;
        try
        {
            if (silent && ready?.Status != "Unknown")
            {
                _log.LogWarning("node {Node} not heard from for {Grace}: conditions Unknown", node.Name(), _grace);
                await MarkUnknownAsync(node, now, ct);
                return; // the watch brings the node back with its new status; its taint follows on the next pass
            }

            var status = silent ? "Unknown" : ready?.Status;
            string? wanted = status switch { "Unknown" => Unreachable, "False" => NotReady, _ => null };
            var taints = node.Spec?.Taints ?? [];
            bool correct = taints.Count(t => t.Key is Unreachable or NotReady && t.Effect == "NoSchedule") == (wanted is null ? 0 : 1)
                && (wanted is null || taints.Any(t => t.Key == wanted && t.Effect == "NoSchedule"));
            if (!correct)
            {
                var kept = taints.Where(t => !(t.Key is Unreachable or NotReady && t.Effect == "NoSchedule")).ToList();
                if (wanted is not null)
                {
                    kept.Add(new V1Taint { Key = wanted, Effect = "NoSchedule", TimeAdded = now });
                }

                // A copy of the cached object (never changed in place), with its resourceVersion: a concurrent change
                // makes this a conflict, tried again on the next pass.
                var changed = KubernetesJson.Deserialize<V1Node>(KubernetesJson.Serialize(node));
                changed.Spec ??= new V1NodeSpec();
                changed.Spec.Taints = kept.Count == 0 ? null : kept;
                await _client.CoreV1.ReplaceNodeAsync(changed, node.Name(), cancellationToken: ct);
                _log.LogInformation("node {Node}: taint {Taint}", node.Name(), wanted is null ? "removed" : wanted + ":NoSchedule");
            }
        }
        catch (Exception e) when (e is HttpOperationException or HttpRequestException)
        {
            _log.LogDebug("node {Node} not updated: {Error}", node.Name(), e.Message);
        }
    }

    /// <summary>Every condition the agent posts becomes Unknown, its heartbeat kept, as the controller manager writes it.</summary>
    private async Task MarkUnknownAsync(V1Node node, DateTime now, CancellationToken ct)
    {
        var conditions = (node.Status?.Conditions ?? []).Select(c => c.Status == "Unknown" ? c : new V1NodeCondition
        {
            Type = c.Type,
            Status = "Unknown",
            Reason = "NodeStatusUnknown",
            Message = "Kubelet stopped posting node status.",
            LastHeartbeatTime = c.LastHeartbeatTime,
            LastTransitionTime = now,
        }).ToList();
        if (conditions.Count == 0)
        {
            conditions.Add(new V1NodeCondition
            {
                Type = "Ready", Status = "Unknown", Reason = "NodeStatusNeverUpdated", Message = "Kubelet never posted node status.", LastTransitionTime = now,
            });
        }

        var patch = new V1Patch("{\"status\":{\"conditions\":" + KubernetesJson.Serialize(conditions) + "}}", V1Patch.PatchType.MergePatch);
        await _client.CoreV1.PatchNodeStatusAsync(patch, node.Name(), cancellationToken: ct);
    }
}
