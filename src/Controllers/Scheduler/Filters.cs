using System.Globalization;
using k8s.Models;

namespace KvCluster.Controllers.Scheduler;

/// <summary>
/// kube-scheduler's filter plugins that this scheduler runs, in its order: NodeUnschedulable, TaintToleration,
/// NodeAffinity (nodeSelector and required node affinity), NodePorts, NodeResourcesFit. A node passes when
/// every one does; the first that fails gives its reasons, in kube-scheduler's words.
/// </summary>
internal static class Filters
{
    public const string UnschedulableTaint = "node.kubernetes.io/unschedulable";

    /// <summary>The reasons the pod cannot go on the node (empty: it fits).</summary>
    public static IReadOnlyList<string> Check(V1Pod pod, NodeState node)
    {
        var n = node.Node;
        if (n.Spec?.Unschedulable == true && !Tolerates(pod, new V1Taint { Key = UnschedulableTaint, Effect = "NoSchedule" }))
        {
            return ["node(s) were unschedulable"];
        }

        if (n.Spec?.Taints?.FirstOrDefault(t => t.Effect is "NoSchedule" or "NoExecute" && !Tolerates(pod, t)) is { } taint)
        {
            return [$"node(s) had untolerated taint {{{taint.Key}: {taint.Value}}}"];
        }

        if (!NodeAffinity.Matches(pod, n))
        {
            return ["node(s) didn't match Pod's node affinity/selector"];
        }

        if (node.PortConflict(pod))
        {
            return ["node(s) didn't have free ports for the requested pod ports"];
        }

        return Fit(Resources.Requested(pod), node);
    }

    /// <summary>NodeResourcesFit: every resource the pod requests must fit in what the node has left.</summary>
    internal static IReadOnlyList<string> Fit(Resources want, NodeState node)
    {
        var reasons = new List<string>();
        if (node.PodCount + 1 > node.Allocatable.Pods)
        {
            reasons.Add("Too many pods");
        }

        if (want.MilliCpu > 0 && want.MilliCpu > node.Allocatable.MilliCpu - node.Requested.MilliCpu)
        {
            reasons.Add("Insufficient cpu");
        }

        if (want.Memory > 0 && want.Memory > node.Allocatable.Memory - node.Requested.Memory)
        {
            reasons.Add("Insufficient memory");
        }

        return reasons;
    }

    /// <summary>v1 toleration semantics: an empty effect tolerates every effect; Exists with no key tolerates every taint.</summary>
    public static bool Tolerates(V1Pod pod, V1Taint taint) => (pod.Spec?.Tolerations ?? []).Any(t =>
        (string.IsNullOrEmpty(t.Effect) || t.Effect == taint.Effect)
        && (t.OperatorProperty == "Exists"
            ? string.IsNullOrEmpty(t.Key) || t.Key == taint.Key
            : t.Key == taint.Key && (t.Value ?? "") == (taint.Value ?? "")));

    /// <summary>
    /// Constraints this scheduler does not evaluate and must not ignore: required inter-pod (anti-)affinity and
    /// hard topology spread. A pod with one is reported unschedulable with this reason instead of being placed
    /// against its constraint.
    /// </summary>
    public static string? Unsupported(V1Pod pod)
    {
        var affinity = pod.Spec?.Affinity;
        if (affinity?.PodAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is { Count: > 0 }
            || affinity?.PodAntiAffinity?.RequiredDuringSchedulingIgnoredDuringExecution is { Count: > 0 })
        {
            return "required pod affinity/anti-affinity is not supported by this scheduler";
        }

        if (pod.Spec?.TopologySpreadConstraints?.Any(c => c.WhenUnsatisfiable == "DoNotSchedule") == true)
        {
            return "topology spread constraints with whenUnsatisfiable DoNotSchedule are not supported by this scheduler";
        }

        return null;
    }
}

/// <summary>Node selection by labels: the pod's nodeSelector and its required node affinity terms (one term must match).</summary>
internal static class NodeAffinity
{
    public static bool Matches(V1Pod pod, V1Node node)
    {
        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        if (pod.Spec?.NodeSelector is { } selector && selector.Any(kv => !labels.TryGetValue(kv.Key, out var v) || v != kv.Value))
        {
            return false;
        }

        var terms = pod.Spec?.Affinity?.NodeAffinity?.RequiredDuringSchedulingIgnoredDuringExecution?.NodeSelectorTerms;
        return terms is null || terms.Any(t => TermMatches(t, node));
    }

    /// <summary>A term matches when all its expressions and fields do; a term with neither matches no node.</summary>
    public static bool TermMatches(V1NodeSelectorTerm term, V1Node node)
    {
        var expressions = term.MatchExpressions ?? [];
        var fields = term.MatchFields ?? [];
        if (expressions.Count == 0 && fields.Count == 0)
        {
            return false;
        }

        var labels = node.Metadata.Labels ?? new Dictionary<string, string>();
        var nodeFields = new Dictionary<string, string> { ["metadata.name"] = node.Metadata.Name };
        return expressions.All(e => Requirement(e, labels)) && fields.All(f => Requirement(f, nodeFields));
    }

    /// <summary>Preferred node affinity: the sum of the weights of the terms the node matches.</summary>
    public static long PreferredScore(V1Pod pod, V1Node node) =>
        (pod.Spec?.Affinity?.NodeAffinity?.PreferredDuringSchedulingIgnoredDuringExecution ?? [])
            .Where(p => p.Preference is not null && TermMatches(p.Preference, node))
            .Sum(p => (long)p.Weight);

    private static bool Requirement(V1NodeSelectorRequirement r, IDictionary<string, string> labels)
    {
        bool has = labels.TryGetValue(r.Key, out var value);
        var values = r.Values ?? [];
        return r.OperatorProperty switch
        {
            "In" => has && values.Contains(value!),
            "NotIn" => !has || !values.Contains(value!),
            "Exists" => has,
            "DoesNotExist" => !has,
            "Gt" => has && values.Count == 1 && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var a)
                && long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var b) && a > b,
            "Lt" => has && values.Count == 1 && long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var c)
                && long.TryParse(values[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var d) && c < d,
            _ => false,
        };
    }
}
