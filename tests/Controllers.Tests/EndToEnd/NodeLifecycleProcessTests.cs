using k8s;
using k8s.Autorest;
using k8s.Models;
using KvCluster.Controllers.NodeLifecycle;
using KvCluster.Controllers.Tests.Infra;
using KvCluster.Controllers.Tests.Scheduler;

namespace KvCluster.Controllers.Tests.EndToEnd;

/// <summary>
/// The node lifecycle controller in the controllers process: a node that stops heartbeating is marked Unknown
/// and tainted unreachable, so the scheduler places pods elsewhere; once it is heard from again the taint goes.
/// </summary>
// One process pair at a time: on 2 cores, two side by side slowed the heartbeats this test relies on.
[Collection("processes")]
public sealed class NodeLifecycleProcessTests : IAsyncLifetime
{
    private ControllersCluster _c = null!;

    public async Task InitializeAsync() => _c = await ControllersCluster.StartAsync("--node-monitor-grace-period", "4s", "--node-monitor-period", "200ms");

    public async Task DisposeAsync() => await _c.DisposeAsync();

    /// <summary>What a node agent does to stay alive: renew its Lease in kube-node-lease and post Ready=True with a heartbeat.</summary>
    private async Task HeartbeatAsync(string node)
    {
        var now = DateTime.UtcNow;
        try
        {
            var lease = await _c.Client.CoordinationV1.ReadNamespacedLeaseAsync(node, "kube-node-lease");
            lease.Spec.RenewTime = now;
            await _c.Client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, node, "kube-node-lease");
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            await _c.Client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
            {
                Metadata = new V1ObjectMeta { Name = node },
                Spec = new V1LeaseSpec { HolderIdentity = node, LeaseDurationSeconds = 4, RenewTime = now },
            }, "kube-node-lease");
        }
    }

    private async Task PostReadyAsync(string node)
    {
        var now = DateTime.UtcNow;
        var ready = new V1NodeCondition { Type = "Ready", Status = "True", Reason = "KubeletReady", Message = "kubelet is posting ready status", LastHeartbeatTime = now, LastTransitionTime = now };
        var patch = new V1Patch("{\"status\":{\"conditions\":[" + KubernetesJson.Serialize(ready) + "]}}", V1Patch.PatchType.MergePatch);
        await _c.Client.CoreV1.PatchNodeStatusAsync(patch, node);
    }

    [Fact]
    public async Task A_silent_node_is_marked_unknown_and_tainted_until_it_is_heard_from_again()
    {
        await _c.AddNodeAsync(Build.Node("alive"));
        await _c.AddNodeAsync(Build.Node("ghost"));
        await PostReadyAsync("alive");
        await PostReadyAsync("ghost");
        using var stop = new CancellationTokenSource();
        var alive = new System.Collections.Concurrent.ConcurrentDictionary<string, bool> { ["alive"] = true };
        var beating = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                foreach (var node in alive.Keys)
                {
                    await HeartbeatAsync(node);
                }

                await Task.Delay(200);
            }
        });

        var ghost = await _c.EventuallyAsync(() => _c.Client.CoreV1.ReadNodeAsync("ghost"),
            n => n.Spec?.Taints?.Any(t => t is { Key: NodeLifecycleController.Unreachable, Effect: "NoSchedule" }) == true, "ghost tainted unreachable");
        var ready = ghost.Status.Conditions.Single(c => c.Type == "Ready");
        Assert.Equal(("Unknown", "NodeStatusUnknown", "Kubelet stopped posting node status."), (ready.Status, ready.Reason, ready.Message));
        var healthy = await _c.Client.CoreV1.ReadNodeAsync("alive");
        Assert.Null(healthy.Spec?.Taints);
        Assert.Equal("True", healthy.Status.Conditions.Single(c => c.Type == "Ready").Status);

        // The scheduler keeps off the silent node.
        var ns = await _c.NamespaceAsync();
        var anywhere = Build.Pod("anywhere");
        (anywhere.Metadata.Uid, anywhere.Metadata.NamespaceProperty) = (null, ns);
        await _c.Client.CoreV1.CreateNamespacedPodAsync(anywhere, ns);
        await _c.PodEventuallyAsync(ns, "anywhere", p => p.Spec.NodeName == "alive", "anywhere on alive");
        var pinned = Build.Pod("pinned");
        (pinned.Metadata.Uid, pinned.Metadata.NamespaceProperty) = (null, ns);
        pinned.Spec.NodeSelector = new Dictionary<string, string> { ["kubernetes.io/hostname"] = "ghost" };
        await _c.Client.CoreV1.CreateNamespacedPodAsync(pinned, ns);
        var waiting = await _c.PodEventuallyAsync(ns, "pinned", p => p.Status?.Conditions?.Any(c => c is { Type: "PodScheduled", Status: "False" }) == true, "pinned unschedulable");
        Assert.Equal("0/2 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }.",
            waiting.Status.Conditions.Single(c => c.Type == "PodScheduled").Message);

        // The node is heard from again: the taint goes and the waiting pod is placed there.
        await HeartbeatAsync("ghost");
        await PostReadyAsync("ghost");
        alive["ghost"] = true;
        await _c.EventuallyAsync(() => _c.Client.CoreV1.ReadNodeAsync("ghost"), n => n.Spec?.Taints is not { Count: > 0 }, "ghost untainted");
        await _c.PodEventuallyAsync(ns, "pinned", p => p.Spec.NodeName == "ghost", "pinned on ghost");
        await stop.CancelAsync();
        await beating;
    }
}
