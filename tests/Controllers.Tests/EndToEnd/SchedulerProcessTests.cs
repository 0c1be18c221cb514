using k8s;
using k8s.Models;
using KvCluster.Controllers.Tests.Infra;
using KvCluster.Controllers.Tests.Scheduler;

namespace KvCluster.Controllers.Tests.EndToEnd;

/// <summary>
/// The controllers process (its scheduler) against an apiserver process, as the main job runs them: pods go to
/// nodes that fit, wait with kube-scheduler's condition and event while none does, and go once one does.
/// </summary>
// One process pair at a time: on 2 cores, two side by side slowed the heartbeats this test relies on.
[Collection("processes")]
public sealed class SchedulerProcessTests : IAsyncLifetime
{
    private ControllersCluster _c = null!;

    // The test's nodes never heartbeat: a long grace period keeps the node lifecycle controller from tainting them.
    public async Task InitializeAsync() => _c = await ControllersCluster.StartAsync("--node-monitor-grace-period", "10m");

    public async Task DisposeAsync() => await _c.DisposeAsync();

    private static V1Pod InNamespace(V1Pod pod, string ns)
    {
        pod.Metadata.NamespaceProperty = ns;
        pod.Metadata.Uid = null;
        return pod;
    }

    [Fact]
    public async Task Pods_go_to_nodes_that_fit_and_wait_for_one_while_none_does()
    {
        await _c.AddNodeAsync(Build.Node("big", cpu: "4", memory: "8Gi"));
        await _c.AddNodeAsync(Build.Node("small", cpu: "1", memory: "1Gi"));
        await _c.AddNodeAsync(Build.Node("gpu", cpu: "8", memory: "16Gi", taints: [new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" }]));
        var client = _c.Client;
        var ns = await _c.NamespaceAsync();
        await client.CoreV1.CreateNamespacedPodAsync(InNamespace(Build.Pod("two-cpus", cpu: "2"), ns), ns);
        var ssd = InNamespace(Build.Pod("wants-ssd"), ns);
        ssd.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" };
        await client.CoreV1.CreateNamespacedPodAsync(ssd, ns);
        var gpu = InNamespace(Build.Pod("six-cpus", cpu: "6"), ns);
        gpu.Spec.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "gpu", Effect = "NoSchedule" }];
        await client.CoreV1.CreateNamespacedPodAsync(gpu, ns);
        var other = InNamespace(Build.Pod("not-mine"), ns);
        other.Spec.SchedulerName = "other-scheduler";
        await client.CoreV1.CreateNamespacedPodAsync(other, ns);

        await _c.PodEventuallyAsync(ns, "two-cpus", p => p.Spec.NodeName == "big", "two-cpus on big");
        var onGpu = await _c.PodEventuallyAsync(ns, "six-cpus", p => p.Spec.NodeName == "gpu", "six-cpus on gpu");
        Assert.Contains(onGpu.Status.Conditions, c => c is { Type: "PodScheduled", Status: "True" });
        const string Why = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector.";
        var waiting = await _c.PodEventuallyAsync(ns, "wants-ssd",
            p => p.Status?.Conditions?.Any(c => c is { Type: "PodScheduled", Status: "False", Reason: "Unschedulable" }) == true, "wants-ssd unschedulable");
        Assert.Equal(Why, waiting.Status.Conditions.Single(c => c.Type == "PodScheduled").Message);
        Assert.Null(waiting.Spec.NodeName);

        // A node gains the label: the pod goes there (the node's change requeues it).
        var small = await client.CoreV1.ReadNodeAsync("small");
        small.Metadata.Labels["disk"] = "ssd";
        await client.CoreV1.ReplaceNodeAsync(small, "small");
        var moved = await _c.PodEventuallyAsync(ns, "wants-ssd", p => p.Spec.NodeName == "small", "wants-ssd on small");
        Assert.Contains(moved.Status.Conditions, c => c is { Type: "PodScheduled", Status: "True" });

        // Events as kube-scheduler posts them, from default-scheduler.
        var events = (await client.CoreV1.ListNamespacedEventAsync(ns)).Items;
        Assert.Contains(events, e => e is { Reason: "Scheduled", Type: "Normal", Source.Component: "default-scheduler" }
            && e.Message == $"Successfully assigned {ns}/two-cpus to big" && e.InvolvedObject.Name == "two-cpus");
        Assert.Contains(events, e => e is { Reason: "FailedScheduling", Type: "Warning" } && e.Message == Why && e.InvolvedObject.Name == "wants-ssd");

        // A pod that names another scheduler is left alone.
        var notMine = await client.CoreV1.ReadNamespacedPodAsync("not-mine", ns);
        Assert.Null(notMine.Spec.NodeName);
        Assert.DoesNotContain(notMine.Status?.Conditions ?? [], c => c.Type == "PodScheduled");

        var metrics = await _c.Http.GetStringAsync("/metrics");
        Assert.Contains("scheduler_schedule_attempts_total{result=\"scheduled\"} 3", metrics);
        Assert.Contains("scheduler_schedule_attempts_total{result=\"unschedulable\"}", metrics);
        Assert.Equal("ok", await _c.Http.GetStringAsync("/healthz"));
    }
}
