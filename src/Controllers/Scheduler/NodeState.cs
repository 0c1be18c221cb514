using k8s.Models;

namespace KvCluster.Controllers.Scheduler;

/// <summary>
/// One node as the scheduler sees it in a cycle: the node, what its pods request (exactly, and with the
/// scoring's non-zero defaults), and the host ports they hold.
/// </summary>
internal sealed class NodeState(V1Node node)
{
    private readonly HashSet<(string Protocol, string Ip, int Port)> _ports = [];

    public V1Node Node { get; } = node;

    public string Name => Node.Metadata.Name;

    public Resources Allocatable { get; } = Resources.Allocatable(node);

    public Resources Requested { get; private set; }

    public Resources NonZeroRequested { get; private set; }

    public int PodCount { get; private set; }

    public void Add(V1Pod pod)
    {
        Requested += Resources.Requested(pod);
        NonZeroRequested += Resources.Requested(pod, nonZero: true);
        PodCount++;
        foreach (var port in HostPorts(pod))
        {
            _ports.Add(port);
        }
    }

    /// <summary>True when one of the pod's host ports is taken here (0.0.0.0 conflicts with every address).</summary>
    public bool PortConflict(V1Pod pod) => HostPorts(pod).Any(p =>
        _ports.Contains(p)
        || (p.Ip == "0.0.0.0" ? _ports.Any(q => q.Protocol == p.Protocol && q.Port == p.Port) : _ports.Contains((p.Protocol, "0.0.0.0", p.Port))));

    public static IEnumerable<(string Protocol, string Ip, int Port)> HostPorts(V1Pod pod) =>
        (pod.Spec?.Containers ?? []).Concat(pod.Spec?.InitContainers ?? [])
            .SelectMany(c => c.Ports ?? [])
            .Where(p => p.HostPort is > 0)
            .Select(p => (p.Protocol ?? "TCP", string.IsNullOrEmpty(p.HostIP) ? "0.0.0.0" : p.HostIP, p.HostPort!.Value));
}
