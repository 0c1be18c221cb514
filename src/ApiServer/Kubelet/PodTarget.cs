using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Kubelet;

/// <summary>
/// The container a pods/log, pods/exec or pods/attach request is for, and the kubelet that runs it
/// (null while the pod is not bound to a node). Kubernetes' validateContainer and LogLocation rules:
/// no container named and one in the pod means that one.
/// </summary>
public sealed record PodTarget(string Namespace, string Pod, string Container, Uri? Kubelet)
{
    public static async Task<PodTarget> ResolveAsync(ResourceStore pods, ResourceStore nodes, string ns, string name, string? container, CancellationToken ct)
    {
        var pod = await pods.GetAsync(ns, name, ct);
        var chosen = ChooseContainer(pod, name, container);
        return NodeNameOf(pod) is { } nodeName
            ? new PodTarget(ns, name, chosen, await KubeletOfAsync(nodeName, nodes, ct)) { Running = IsRunning(pod, chosen) }
            : new PodTarget(ns, name, chosen, null);
    }

    /// <summary>The node the pod is bound to, or null while it is not.</summary>
    public static string? NodeNameOf(JsonObject pod) => pod["spec"]?["nodeName"]?.GetValue<string>() is { Length: > 0 } node ? node : null;

    /// <summary>The base URL of the kubelet on a node.</summary>
    public static async Task<Uri> KubeletOfAsync(string nodeName, ResourceStore nodes, CancellationToken ct) =>
        NodeAddress.KubeletBase(await nodes.GetAsync(null, nodeName, ct));

    /// <summary>
    /// False when the pod's status shows the container not running (the kubelet execs and attaches only
    /// into running ones); a container with no status yet is left to the kubelet to judge.
    /// </summary>
    public bool Running { get; init; } = true;

    private static bool IsRunning(JsonObject pod, string container) =>
        new[] { "containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses" }
            .SelectMany(k => pod["status"]?[k] as JsonArray ?? [])
            .FirstOrDefault(s => s?["name"]?.GetValue<string>() == container) is not { } status || status["state"]?["running"] is not null;

    /// <summary>The named container (any kind: init, regular, ephemeral), or the only regular one.</summary>
    public static string ChooseContainer(JsonObject pod, string podName, string? container)
    {
        var spec = pod["spec"];
        var regular = Names(spec?["containers"]);
        if (!string.IsNullOrEmpty(container))
        {
            var all = Names(spec?["initContainers"]).Concat(regular).Concat(Names(spec?["ephemeralContainers"]));
            return all.Contains(container) ? container : throw ApiException.BadRequest($"container {container} is not valid for pod {podName}");
        }

        return regular.Count switch
        {
            1 => regular[0],
            0 => throw ApiException.BadRequest($"a container name must be specified for pod {podName}"),

            // Go prints the names as %s of a []string: [a b c].
            _ => throw ApiException.BadRequest($"a container name must be specified for pod {podName}, choose one of: [{string.Join(' ', Names(spec?["initContainers"]).Concat(regular).Concat(Names(spec?["ephemeralContainers"])))}]"),
        };
    }

    /// <summary>A kubelet URL of this target: /{verb}/{namespace}/{pod}/{container}?{query}.</summary>
    public Uri KubeletUri(string verb, string query)
    {
        var path = $"{verb}/{Uri.EscapeDataString(Namespace)}/{Uri.EscapeDataString(Pod)}/{Uri.EscapeDataString(Container)}";
        return new Uri(Kubelet ?? throw new InvalidOperationException("the pod is not bound to a node"), query.Length == 0 ? path : $"{path}?{query}");
    }

    private static List<string> Names(JsonNode? containers) =>
        [.. (containers as JsonArray ?? []).Select(c => c?["name"]?.GetValue<string>()).OfType<string>()];
}
