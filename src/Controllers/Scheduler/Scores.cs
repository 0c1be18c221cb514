using k8s.Models;

namespace KvCluster.Controllers.Scheduler;

/// <summary>
/// kube-scheduler's default scoring, for the plugins this scheduler runs, each 0–100 and weighted as in its
/// default profile: NodeResourcesFit least-allocated (1), NodeResourcesBalancedAllocation (1), NodeAffinity's
/// preferred terms (2) and TaintToleration's PreferNoSchedule count (3), the last two normalized over the nodes.
/// </summary>
internal static class Scores
{
    public const long Max = 100;

    /// <summary>The weighted total of every node that passed the filters.</summary>
    public static long[] Score(V1Pod pod, IReadOnlyList<NodeState> nodes)
    {
        var want = Resources.Requested(pod, nonZero: true);
        var affinity = Normalize(nodes.Select(n => NodeAffinity.PreferredScore(pod, n.Node)).ToArray(), reverse: false);
        var taints = Normalize(nodes.Select(n => (long)IntolerablePreferNoSchedule(pod, n.Node)).ToArray(), reverse: true);
        var totals = new long[nodes.Count];
        for (int i = 0; i < nodes.Count; i++)
        {
            totals[i] = LeastAllocated(want, nodes[i]) + Balanced(want, nodes[i]) + (2 * affinity[i]) + (3 * taints[i]);
        }

        return totals;
    }

    /// <summary>The mean, over cpu and memory, of the share the node would have free after the pod (0–100).</summary>
    internal static long LeastAllocated(Resources want, NodeState node)
    {
        long Free(long requested, long allocatable) =>
            allocatable <= 0 || requested > allocatable ? 0 : (allocatable - requested) * Max / allocatable;

        return (Free(node.NonZeroRequested.MilliCpu + want.MilliCpu, node.Allocatable.MilliCpu)
            + Free(node.NonZeroRequested.Memory + want.Memory, node.Allocatable.Memory)) / 2;
    }

    /// <summary>How evenly cpu and memory would be used after the pod: 100 minus the fractions' spread (0–100).</summary>
    internal static long Balanced(Resources want, NodeState node)
    {
        double Fraction(long requested, long allocatable) => allocatable <= 0 ? 1 : Math.Min(1, (double)requested / allocatable);

        double cpu = Fraction(node.Requested.MilliCpu + want.MilliCpu, node.Allocatable.MilliCpu);
        double mem = Fraction(node.Requested.Memory + want.Memory, node.Allocatable.Memory);
        double std = Math.Abs(cpu - mem) / 2;
        return (long)((1 - std) * Max);
    }

    private static int IntolerablePreferNoSchedule(V1Pod pod, V1Node node) =>
        (node.Spec?.Taints ?? []).Count(t => t.Effect == "PreferNoSchedule" && !Filters.Tolerates(pod, t));

    /// <summary>kube-scheduler's DefaultNormalizeScore: scaled so the highest is 100 (reversed: the lowest is).</summary>
    internal static long[] Normalize(long[] raw, bool reverse)
    {
        long max = raw.Length == 0 ? 0 : raw.Max();
        return raw.Select(s => max == 0 ? (reverse ? Max : 0) : reverse ? Max - (Max * s / max) : Max * s / max).ToArray();
    }
}
