using k8s.Models;
using KvCluster.Controllers.Scheduler;

namespace KvCluster.Controllers.Tests.Scheduler;

/// <summary>Filters, scores and the FitError message, against kube-scheduler's behaviour and words.</summary>
public sealed class PlacementTests
{
    private static readonly Random Seeded = new(7);

    private static List<NodeState> Nodes(params V1Node[] nodes) => nodes.Select(n => new NodeState(n)).ToList();

    private static Placement Choose(V1Pod pod, List<NodeState> nodes) => Placement.Choose(pod, nodes, Seeded);

    [Fact]
    public void A_pod_goes_where_its_requests_fit_counting_the_pods_already_there()
    {
        var nodes = Nodes(Build.Node("small", cpu: "1", memory: "1Gi"), Build.Node("big", cpu: "4", memory: "8Gi"));
        Assert.Equal("big", Choose(Build.Pod("p", cpu: "2"), nodes).Node);

        nodes[1].Add(Build.Pod("there", cpu: "3"));
        var none = Choose(Build.Pod("p", cpu: "2"), nodes);
        Assert.Null(none.Node);
        Assert.Equal("0/2 nodes are available: 2 Insufficient cpu.", none.Failure);

        var both = Choose(Build.Pod("p", cpu: "2", memory: "16Gi"), nodes);
        Assert.Equal("0/2 nodes are available: 2 Insufficient cpu, 2 Insufficient memory.", both.Failure);
    }

    [Fact]
    public void The_pod_count_is_a_resource_too()
    {
        var nodes = Nodes(Build.Node("one", pods: "1"));
        Assert.Equal("one", Choose(Build.Pod("p"), nodes).Node);
        nodes[0].Add(Build.Pod("there"));
        Assert.Equal("0/1 nodes are available: 1 Too many pods.", Choose(Build.Pod("p"), nodes).Failure);
    }

    [Fact]
    public void Taints_repel_pods_that_do_not_tolerate_them()
    {
        var taint = new V1Taint { Key = "dedicated", Value = "gpu", Effect = "NoSchedule" };
        var nodes = Nodes(Build.Node("gpu", taints: [taint]));
        Assert.Equal("0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}.", Choose(Build.Pod("p"), nodes).Failure);

        var equal = Build.Pod("p");
        equal.Spec.Tolerations = [new V1Toleration { Key = "dedicated", OperatorProperty = "Equal", Value = "gpu", Effect = "NoSchedule" }];
        Assert.Equal("gpu", Choose(equal, nodes).Node);

        var wrongValue = Build.Pod("p");
        wrongValue.Spec.Tolerations = [new V1Toleration { Key = "dedicated", Value = "cpu" }];
        Assert.Null(Choose(wrongValue, nodes).Node);

        var everything = Build.Pod("p");
        everything.Spec.Tolerations = [new V1Toleration { OperatorProperty = "Exists" }];
        Assert.Equal("gpu", Choose(everything, nodes).Node);

        // PreferNoSchedule only scores: the pod still goes there when nothing else fits.
        var soft = Nodes(Build.Node("soft", taints: [new V1Taint { Key = "k", Effect = "PreferNoSchedule" }]));
        Assert.Equal("soft", Choose(Build.Pod("p"), soft).Node);
    }

    [Fact]
    public void Cordoned_nodes_take_only_pods_that_tolerate_unschedulable()
    {
        var nodes = Nodes(Build.Node("cordoned", unschedulable: true));
        Assert.Equal("0/1 nodes are available: 1 node(s) were unschedulable.", Choose(Build.Pod("p"), nodes).Failure);
        var daemon = Build.Pod("p");
        daemon.Spec.Tolerations = [new V1Toleration { Key = Filters.UnschedulableTaint, OperatorProperty = "Exists", Effect = "NoSchedule" }];
        Assert.Equal("cordoned", Choose(daemon, nodes).Node);
    }

    [Fact]
    public void Node_selector_and_required_affinity_choose_by_labels()
    {
        var nodes = Nodes(
            Build.Node("ssd", labels: new Dictionary<string, string> { ["disk"] = "ssd", ["zone"] = "a", ["gen"] = "5" }),
            Build.Node("hdd", labels: new Dictionary<string, string> { ["disk"] = "hdd", ["zone"] = "b", ["gen"] = "3" }));
        var selector = Build.Pod("p");
        selector.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" };
        Assert.Equal("ssd", Choose(selector, nodes).Node);

        V1Pod Affinity(params V1NodeSelectorTerm[] terms)
        {
            var pod = Build.Pod("p");
            pod.Spec.Affinity = new V1Affinity { NodeAffinity = new V1NodeAffinity { RequiredDuringSchedulingIgnoredDuringExecution = new V1NodeSelector { NodeSelectorTerms = terms } } };
            return pod;
        }

        V1NodeSelectorTerm Term(string key, string op, params string[] values) =>
            new() { MatchExpressions = [new V1NodeSelectorRequirement { Key = key, OperatorProperty = op, Values = values.Length == 0 ? null : values }] };

        Assert.Equal("hdd", Choose(Affinity(Term("zone", "NotIn", "a")), nodes).Node);
        Assert.Equal("ssd", Choose(Affinity(Term("gen", "Gt", "4")), nodes).Node);
        Assert.Equal("hdd", Choose(Affinity(Term("gen", "Lt", "4")), nodes).Node);
        Assert.Equal("hdd", Choose(Affinity(Term("zone", "In", "c"), Term("zone", "In", "b")), nodes).Node); // terms are ORed
        Assert.Equal("ssd", Choose(Affinity(new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = ["ssd"] }] }), nodes).Node);
        var nowhere = Choose(Affinity(Term("rack", "Exists")), nodes);
        Assert.Equal("0/2 nodes are available: 2 node(s) didn't match Pod's node affinity/selector.", nowhere.Failure);
        Assert.Null(Choose(Affinity(new V1NodeSelectorTerm()), nodes).Node); // an empty term matches nothing
    }

    [Fact]
    public void Host_ports_conflict_by_protocol_and_address()
    {
        V1Pod WithPort(int port, string? ip = null, string protocol = "TCP")
        {
            var pod = Build.Pod("p");
            pod.Spec.Containers[0].Ports = [new V1ContainerPort { ContainerPort = 80, HostPort = port, HostIP = ip, Protocol = protocol }];
            return pod;
        }

        var nodes = Nodes(Build.Node("n"));
        nodes[0].Add(WithPort(8080));
        Assert.Equal("0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.", Choose(WithPort(8080), nodes).Failure);
        Assert.Null(Choose(WithPort(8080, "127.0.0.2"), nodes).Node); // 0.0.0.0 holds every address
        Assert.Equal("n", Choose(WithPort(8080, protocol: "UDP"), nodes).Node);
        Assert.Equal("n", Choose(WithPort(8081), nodes).Node);
    }

    [Fact]
    public void The_histogram_sorts_reasons_as_kube_scheduler_does_and_an_empty_cluster_says_so()
    {
        var nodes = Nodes(
            Build.Node("a", cpu: "1", labels: new Dictionary<string, string> { ["disk"] = "ssd" }),
            Build.Node("b", labels: new Dictionary<string, string>()),
            Build.Node("c", labels: new Dictionary<string, string>()),
            Build.Node("t", taints: [new V1Taint { Key = "node-role.kubernetes.io/control-plane", Effect = "NoSchedule" }]));
        var pod = Build.Pod("p", cpu: "2");
        pod.Spec.NodeSelector = new Dictionary<string, string> { ["disk"] = "ssd" };
        Assert.Equal(
            "0/4 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node-role.kubernetes.io/control-plane: }, 2 node(s) didn't match Pod's node affinity/selector.",
            Choose(pod, nodes).Failure);
        Assert.Equal("no nodes available to schedule pods", Choose(pod, []).Failure);
    }

    [Fact]
    public void Least_allocated_spreads_pods_and_preferred_affinity_wins_over_it()
    {
        var nodes = Nodes(Build.Node("busy"), Build.Node("idle"));
        nodes[0].Add(Build.Pod("there", cpu: "3", memory: "6Gi"));
        Assert.Equal("idle", Choose(Build.Pod("p", cpu: "100m"), nodes).Node);

        // Requests of nothing still count at the scoring's defaults (100m, 200Mi): ten such pods weigh.
        var empty = Nodes(Build.Node("x", cpu: "1", memory: "2Gi"), Build.Node("y", cpu: "1", memory: "2Gi"));
        for (int i = 0; i < 5; i++)
        {
            empty[0].Add(Build.Pod($"q{i}"));
        }

        Assert.Equal("y", Choose(Build.Pod("p"), empty).Node);

        var preferring = Build.Pod("p", cpu: "100m");
        preferring.Spec.Affinity = new V1Affinity
        {
            NodeAffinity = new V1NodeAffinity
            {
                PreferredDuringSchedulingIgnoredDuringExecution =
                [
                    new V1PreferredSchedulingTerm { Weight = 100, Preference = new V1NodeSelectorTerm { MatchFields = [new V1NodeSelectorRequirement { Key = "metadata.name", OperatorProperty = "In", Values = ["busy"] }] } },
                ],
            },
        };
        Assert.Equal("busy", Choose(preferring, nodes).Node);
    }

    [Fact]
    public void Init_containers_sidecars_and_overhead_make_the_effective_request()
    {
        var pod = Build.Pod("p", cpu: "500m", memory: "100Mi");
        pod.Spec.InitContainers =
        [
            new V1Container { Name = "init", Resources = new V1ResourceRequirements { Requests = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("2") } } },
            new V1Container { Name = "sidecar", RestartPolicy = "Always", Resources = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity> { ["memory"] = new("1Gi") } } },
        ];
        pod.Spec.Overhead = new Dictionary<string, ResourceQuantity> { ["cpu"] = new("250m") };
        var r = Resources.Requested(pod);
        // cpu: max(init 2, containers 0.5 + sidecar 0) + overhead 0.25; memory: containers 100Mi + sidecar's limit 1Gi.
        Assert.Equal(2250, r.MilliCpu);
        Assert.Equal((100L << 20) + (1L << 30), r.Memory);
        Assert.Equal(1, r.Pods);
    }

    [Fact]
    public void Constraints_it_cannot_evaluate_leave_the_pod_unscheduled_with_that_reason()
    {
        var pod = Build.Pod("p");
        pod.Spec.Affinity = new V1Affinity
        {
            PodAntiAffinity = new V1PodAntiAffinity
            {
                RequiredDuringSchedulingIgnoredDuringExecution = [new V1PodAffinityTerm { TopologyKey = "kubernetes.io/hostname" }],
            },
        };
        Assert.Equal("0/1 nodes are available: 1 required pod affinity/anti-affinity is not supported by this scheduler.", Choose(pod, Nodes(Build.Node("n"))).Failure);
    }
}
