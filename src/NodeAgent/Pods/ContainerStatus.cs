using k8s.Models;

namespace KvCluster.NodeAgent.Pods;

/// <summary>
/// What the agent knows of one container (init or regular), written by its runner and read by the
/// status writer; every change goes through the pod worker's lock.
/// </summary>
public sealed class ContainerStatus(string name, string image, bool init)
{
    public string Name { get; } = name;
    public string Image { get; } = image;
    public bool Init { get; } = init;
    public string ImageId { get; set; } = "";
    public string? ContainerId { get; set; }
    public int RestartCount { get; set; }
    public bool Ready { get; set; }
    public bool? Started { get; set; }
    public V1ContainerState State { get; set; } = Waiting("ContainerCreating", null);
    public V1ContainerState? LastState { get; set; }

    /// <summary>The current instance's log file, for kubectl logs.</summary>
    public string? LogPath { get; set; }

    /// <summary>The previous instance's log file, for kubectl logs --previous.</summary>
    public string? PreviousLogPath { get; set; }

    /// <summary>The running instance, for exec and attach.</summary>
    public Runtime.IContainer? Running { get; set; }

    public bool IsRunning => State.Running is not null;

    public bool IsTerminated => State.Terminated is not null;

    public static V1ContainerState Waiting(string reason, string? message) =>
        new() { Waiting = new V1ContainerStateWaiting { Reason = reason, Message = message } };

    public V1ContainerStatus ToApi() => new()
    {
        Name = Name,
        Image = Image,
        ImageID = ImageId,
        ContainerID = ContainerId,
        RestartCount = RestartCount,
        Ready = Ready,
        Started = Started,
        State = State,
        LastState = LastState ?? new V1ContainerState(),
    };
}
