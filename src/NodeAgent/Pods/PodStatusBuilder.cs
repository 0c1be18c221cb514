using k8s.Models;

namespace KvCluster.NodeAgent.Pods;

/// <summary>
/// Computes a pod's status from its containers, as the kubelet does: phase, the conditions
/// (PodReadyToStartContainers, Initialized, ContainersReady, Ready, PodScheduled) and qosClass.
/// </summary>
public static class PodStatusBuilder
{
    public static string Phase(V1Pod pod, IReadOnlyList<ContainerStatus> init, IReadOnlyList<ContainerStatus> main, bool initFailed)
    {
        var policy = pod.Spec.RestartPolicy ?? "Always";
        if (initFailed)
        {
            return "Failed";
        }

        if (init.Any(c => !(c.State.Terminated?.ExitCode == 0)))
        {
            return "Pending";
        }

        var running = main.Count(c => c.IsRunning);
        var succeeded = main.Count(c => c.State.Terminated?.ExitCode == 0);
        var failed = main.Count(c => c.State.Terminated is { ExitCode: not 0 });
        var restarting = main.Count(c => c.State.Waiting is not null && c.LastState?.Terminated is not null);
        if (running > 0 || restarting > 0)
        {
            return "Running";
        }

        if (succeeded + failed == main.Count)
        {
            return policy switch
            {
                "Always" => "Running",
                "OnFailure" => failed > 0 ? "Running" : "Succeeded",
                _ => failed > 0 ? "Failed" : "Succeeded",
            };
        }

        return "Pending";
    }

    public static List<V1PodCondition> Conditions(V1Pod pod, IReadOnlyList<ContainerStatus> init, IReadOnlyList<ContainerStatus> main,
        string phase, bool sandboxReady, IReadOnlyList<V1PodCondition>? previous)
    {
        var incompleteInit = init.Where(c => c.State.Terminated?.ExitCode != 0).Select(c => c.Name).ToList();
        var unready = main.Where(c => !c.Ready).Select(c => c.Name).ToList();
        var completed = phase is "Succeeded" or "Failed";
        var list = new List<V1PodCondition>
        {
            Condition("PodReadyToStartContainers", sandboxReady, null, null),
            Condition("Initialized", incompleteInit.Count == 0 || completed && phase == "Succeeded",
                completed ? "PodCompleted" : "ContainersNotInitialized", $"containers with incomplete status: [{string.Join(' ', incompleteInit)}]"),
            Condition("Ready", unready.Count == 0, completed ? "PodCompleted" : "ContainersNotReady", $"containers with unready status: [{string.Join(' ', unready)}]"),
            Condition("ContainersReady", unready.Count == 0, completed ? "PodCompleted" : "ContainersNotReady", $"containers with unready status: [{string.Join(' ', unready)}]"),
            Condition("PodScheduled", true, null, null),
        };
        var now = DateTime.UtcNow;
        foreach (var c in list)
        {
            var old = previous?.FirstOrDefault(p => p.Type == c.Type);
            c.LastTransitionTime = old is not null && old.Status == c.Status ? old.LastTransitionTime ?? now : now;
            if (completed && c.Status == "False" && c.Type is "Ready" or "ContainersReady")
            {
                c.Message = null;
            }
        }

        return list;
    }

    private static V1PodCondition Condition(string type, bool ok, string? reason, string? message) => ok
        ? new V1PodCondition { Type = type, Status = "True" }
        : new V1PodCondition { Type = type, Status = "False", Reason = reason, Message = message };

    /// <summary>Guaranteed (every container's requests equal its limits for cpu and memory), BestEffort (none set), else Burstable.</summary>
    public static string QosClass(V1PodSpec spec)
    {
        var containers = (spec.Containers ?? []).Concat(spec.InitContainers ?? []).ToList();
        var any = containers.Any(c => c.Resources?.Requests?.Count > 0 || c.Resources?.Limits?.Count > 0);
        if (!any)
        {
            return "BestEffort";
        }

        var guaranteed = containers.All(c =>
            new[] { "cpu", "memory" }.All(r =>
                c.Resources?.Limits is { } limits && limits.TryGetValue(r, out var limit)
                && (c.Resources.Requests is not { } requests || !requests.TryGetValue(r, out var request) || request.ToDecimal() == limit.ToDecimal())));
        return guaranteed ? "Guaranteed" : "Burstable";
    }
}
