using k8s;
using KvCluster.NodeAgent.Images;
using KvCluster.NodeAgent.Runtime;
using KvCluster.NodeAgent.Volumes;
using KvCluster.Shared;
using Microsoft.Extensions.Logging;

namespace KvCluster.NodeAgent.Pods;

/// <summary>What every pod worker shares: the apiserver client, the runtime, images, volumes, events and the node.</summary>
public sealed record PodContext(
    IKubernetes Client,
    IContainerRuntime Runtime,
    IImageSource Images,
    VolumeManager Volumes,
    EnvResolver Env,
    EventRecorder Events,
    NodeInfo Node,
    string RootDir,
    ILogger Log)
{
    public string PodDir(string uid) => Path.Combine(RootDir, "pods", uid);

    /// <summary>The kubelet's layout: logs/&lt;ns&gt;_&lt;pod&gt;_&lt;uid&gt;/&lt;container&gt;/&lt;restart count&gt;.log.</summary>
    public string LogPath(string ns, string name, string uid, string container, int restartCount) =>
        Path.Combine(RootDir, "logs", $"{ns}_{name}_{uid}", container, $"{restartCount}.log");

    public string LogDir(string ns, string name, string uid) => Path.Combine(RootDir, "logs", $"{ns}_{name}_{uid}");
}
