using k8s.Models;
using KvCluster.NodeAgent.Pods;

namespace KvCluster.NodeAgent.Tests.Pods;

/// <summary>Phase, conditions and QoS class as the kubelet computes them, table-driven.</summary>
public sealed class PodStatusBuilderTests
{
    private static ContainerStatus Running(string name) =>
        new(name, "busybox", false) { State = new V1ContainerState { Running = new V1ContainerStateRunning { StartedAt = DateTime.UtcNow } } };

    private static ContainerStatus Exited(string name, int code, bool init = false) =>
        new(name, "busybox", init) { State = new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = code } } };

    private static ContainerStatus Waiting(string name, string reason, bool restarted = false) => new(name, "busybox", false)
    {
        State = ContainerStatus.Waiting(reason, null),
        LastState = restarted ? new V1ContainerState { Terminated = new V1ContainerStateTerminated { ExitCode = 1 } } : null,
    };

    private static V1Pod Pod(string policy) => new() { Spec = new V1PodSpec { RestartPolicy = policy, Containers = [] } };

    public static TheoryData<string, string, string> Phases => new()
    {
        // restartPolicy, containers ("r" running, "0"/"1" exited with code, "w" waiting, "b" back-off after a crash), phase
        { "Always", "r", "Running" },
        { "Always", "w", "Pending" },
        { "Always", "b", "Running" },
        { "Always", "0", "Running" },
        { "OnFailure", "0", "Succeeded" },
        { "OnFailure", "1", "Running" },
        { "Never", "0", "Succeeded" },
        { "Never", "1", "Failed" },
        { "Never", "0 1", "Failed" },
        { "Never", "0 r", "Running" },
        { "Never", "0 w", "Pending" },
    };

    [Theory]
    [MemberData(nameof(Phases))]
    public void PhaseFollowsTheContainersAndTheRestartPolicy(string policy, string containers, string phase)
    {
        var main = containers.Split(' ').Select((c, i) => c switch
        {
            "r" => Running($"c{i}"),
            "w" => Waiting($"c{i}", "ContainerCreating"),
            "b" => Waiting($"c{i}", "CrashLoopBackOff", restarted: true),
            _ => Exited($"c{i}", int.Parse(c, System.Globalization.CultureInfo.InvariantCulture)),
        }).ToList();
        Assert.Equal(phase, PodStatusBuilder.Phase(Pod(policy), [], main, initFailed: false));
    }

    [Fact]
    public void APodIsPendingUntilEveryInitContainerSucceededAndFailedWhenOneFailsUnderNever()
    {
        var pod = Pod("Never");
        Assert.Equal("Pending", PodStatusBuilder.Phase(pod, [Exited("i1", 0, true), Waiting("i2", "PodInitializing")], [Waiting("c", "PodInitializing")], false));
        Assert.Equal("Running", PodStatusBuilder.Phase(pod, [Exited("i1", 0, true)], [Running("c")], false));
        Assert.Equal("Failed", PodStatusBuilder.Phase(pod, [Exited("i1", 2, true)], [Waiting("c", "PodInitializing")], true));
    }

    [Fact]
    public void ConditionsNameTheUnreadyAndUninitializedContainersAndKeepTransitionTimes()
    {
        var pod = Pod("Always");
        var init = new List<ContainerStatus> { Waiting("setup", "PodInitializing") };
        var main = new List<ContainerStatus> { Waiting("a", "PodInitializing"), Waiting("b", "PodInitializing") };
        var first = PodStatusBuilder.Conditions(pod, init, main, "Pending", sandboxReady: true, previous: null);
        var initialized = first.Single(c => c.Type == "Initialized");
        Assert.Equal(("False", "ContainersNotInitialized", "containers with incomplete status: [setup]"), (initialized.Status, initialized.Reason, initialized.Message));
        var ready = first.Single(c => c.Type == "Ready");
        Assert.Equal(("False", "ContainersNotReady", "containers with unready status: [a b]"), (ready.Status, ready.Reason, ready.Message));
        Assert.Equal(["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"], first.Select(c => c.Type));

        var sameAgain = PodStatusBuilder.Conditions(pod, init, main, "Pending", sandboxReady: true, previous: first);
        Assert.Equal(ready.LastTransitionTime, sameAgain.Single(c => c.Type == "Ready").LastTransitionTime);

        main.ForEach(c => c.Ready = true);
        var allReady = PodStatusBuilder.Conditions(pod, [Exited("setup", 0, true)], main, "Running", sandboxReady: true, previous: first);
        Assert.All(allReady, c => Assert.Equal("True", c.Status));
    }

    public static TheoryData<string, string> QosCases => new()
    {
        { "", "BestEffort" },
        { "requests.cpu=100m", "Burstable" },
        { "limits.cpu=1,limits.memory=1Gi", "Guaranteed" },
        { "limits.cpu=1,limits.memory=1Gi,requests.cpu=1,requests.memory=1Gi", "Guaranteed" },
        { "limits.cpu=1,limits.memory=1Gi,requests.cpu=500m", "Burstable" },
        { "limits.memory=1Gi", "Burstable" },
    };

    [Theory]
    [MemberData(nameof(QosCases))]
    public void QosClassComesFromRequestsAndLimits(string resources, string qos)
    {
        var requirements = new V1ResourceRequirements { Limits = new Dictionary<string, ResourceQuantity>(), Requests = new Dictionary<string, ResourceQuantity>() };
        foreach (var part in resources.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var (key, value) = (part[..part.IndexOf('=')], part[(part.IndexOf('=') + 1)..]);
            var set = key.StartsWith("limits", StringComparison.Ordinal) ? requirements.Limits : requirements.Requests;
            set[key[(key.IndexOf('.') + 1)..]] = new ResourceQuantity(value);
        }

        var spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Resources = requirements }] };
        Assert.Equal(qos, PodStatusBuilder.QosClass(spec));
    }
}
