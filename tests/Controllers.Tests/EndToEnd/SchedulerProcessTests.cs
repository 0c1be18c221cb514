using System.Diagnostics;
using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;
using KvCluster.ApiServer.Tests.Infra;
using KvCluster.Controllers.Tests.Scheduler;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.Controllers.Tests.EndToEnd;

/// <summary>
/// The controllers process (its scheduler) against an apiserver process, as the main job runs them: pods go to
/// nodes that fit, wait with kube-scheduler's condition and event while none does, and go once one does.
/// </summary>
public sealed class SchedulerProcessTests : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private ApiServerProcess _api = null!;
    private Process _controllers = null!;
    private StringBuilder _output = null!;
    private Kubernetes _client = null!;
    private int _port;

    public async Task InitializeAsync()
    {
        _api = await ApiServerProcess.StartAsync(false);
        _client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(_api.Kubeconfig));
        _port = Processes.FreePort();
        (_controllers, _output) = Processes.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "controllers.dll"), "--kubeconfig", _api.Kubeconfig, "--port", _port.ToString(CultureInfo.InvariantCulture)]);
    }

    public async Task DisposeAsync()
    {
        Processes.Kill(_controllers);
        _controllers.Dispose();
        _client.Dispose();
        await _api.DisposeAsync();
    }

    private string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    private async Task AddNodeAsync(V1Node node)
    {
        var status = node.Status;
        var created = await _client.CoreV1.CreateNodeAsync(node);
        created.Status = status;
        await _client.CoreV1.ReplaceNodeStatusAsync(created, created.Name());
    }

    private async Task<V1Pod> EventuallyAsync(string ns, string name, Func<V1Pod, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var pod = await _client.CoreV1.ReadNamespacedPodAsync(name, ns);
            if (done(pod))
            {
                return pod;
            }

            Assert.False(_controllers.HasExited, "controllers exited:\n" + Output);
            Assert.True(DateTime.UtcNow < deadline, $"{what} not within {Patience.TotalSeconds} s; pod: {KubernetesJson.Serialize(pod)}\n{Output}");
            await Task.Delay(100);
        }
    }

    private static V1Pod InNamespace(V1Pod pod, string ns)
    {
        pod.Metadata.NamespaceProperty = ns;
        pod.Metadata.Uid = null;
        return pod;
    }

    [Fact]
    public async Task Pods_go_to_nodes_that_fit_and_wait_for_one_while_none_does()
    {
        await AddNodeAsync(Build.Node("big", cpu: "4", memory: "8Gi"));
        await AddNodeAsync(Build.Node("small", cpu: "1", memory: "1Gi"));
        await AddNodeAsync(Build.Node("gpu", cpu: "8", memory: "16Gi", taints: [new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" }]));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}"), Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            Assert.False(_controllers.HasExited, "controllers exited:\n" + Output);
            try
            {
                if ((await http.GetAsync("/readyz")).IsSuccessStatusCode)
                {
                    break;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, "controllers not ready in 60 s:\n" + Output);
            await Task.Delay(200);
        }

        var ns = $"sched-{Guid.NewGuid():N}"[..20];
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        await _client.CoreV1.CreateNamespacedPodAsync(InNamespace(Build.Pod("two-cpus", cpu: "2"), ns), ns);
        var ssd = InNamespace(Build.Pod("wants-ssd"), ns);
        ssd.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" };
        await _client.CoreV1.CreateNamespacedPodAsync(ssd, ns);
        var gpu = InNamespace(Build.Pod("six-cpus", cpu: "6"), ns);
        gpu.Spec.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "gpu", Effect = "NoSchedule" }];
        await _client.CoreV1.CreateNamespacedPodAsync(gpu, ns);
        var other = InNamespace(Build.Pod("not-mine"), ns);
        other.Spec.SchedulerName = "other-scheduler";
        await _client.CoreV1.CreateNamespacedPodAsync(other, ns);

        await EventuallyAsync(ns, "two-cpus", p => p.Spec.NodeName == "big", "two-cpus on big");
        var onGpu = await EventuallyAsync(ns, "six-cpus", p => p.Spec.NodeName == "gpu", "six-cpus on gpu");
        Assert.Contains(onGpu.Status.Conditions, c => c is { Type: "PodScheduled", Status: "True" });
        const string Why = "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector.";
        var waiting = await EventuallyAsync(ns, "wants-ssd",
            p => p.Status?.Conditions?.Any(c => c is { Type: "PodScheduled", Status: "False", Reason: "Unschedulable" }) == true, "wants-ssd unschedulable");
        Assert.Equal(Why, waiting.Status.Conditions.Single(c => c.Type == "PodScheduled").Message);
        Assert.Null(waiting.Spec.NodeName);

        // A node gains the label: the pod goes there (the node's change requeues it).
        var small = await _client.CoreV1.ReadNodeAsync("small");
        small.Metadata.Labels["disk"] = "ssd";
        await _client.CoreV1.ReplaceNodeAsync(small, "small");
        var moved = await EventuallyAsync(ns, "wants-ssd", p => p.Spec.NodeName == "small", "wants-ssd on small");
        Assert.Contains(moved.Status.Conditions, c => c is { Type: "PodScheduled", Status: "True" });

        // Events as kube-scheduler posts them, from default-scheduler.
        var events = (await _client.CoreV1.ListNamespacedEventAsync(ns)).Items;
        Assert.Contains(events, e => e is { Reason: "Scheduled", Type: "Normal", Source.Component: "default-scheduler" }
            && e.Message == $"Successfully assigned {ns}/two-cpus to big" && e.InvolvedObject.Name == "two-cpus");
        Assert.Contains(events, e => e is { Reason: "FailedScheduling", Type: "Warning" } && e.Message == Why && e.InvolvedObject.Name == "wants-ssd");

        // A pod that names another scheduler is left alone.
        var notMine = await _client.CoreV1.ReadNamespacedPodAsync("not-mine", ns);
        Assert.Null(notMine.Spec.NodeName);
        Assert.DoesNotContain(notMine.Status?.Conditions ?? [], c => c.Type == "PodScheduled");

        var metrics = await http.GetStringAsync("/metrics");
        Assert.Contains("scheduler_schedule_attempts_total{result=\"scheduled\"} 3", metrics);
        Assert.Contains("scheduler_schedule_attempts_total{result=\"unschedulable\"}", metrics);
        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
    }
}
