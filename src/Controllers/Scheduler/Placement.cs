using k8s.Models;

namespace KvCluster.Controllers.Scheduler;

/// <summary>Where a pod goes: the node chosen, or why none fits in kube-scheduler's FitError words.</summary>
internal sealed record Placement(string? Node, string? Failure)
{
    /// <summary>Filters every node, scores those left and takes the best (ties at random, as kube-scheduler).</summary>
    public static Placement Choose(V1Pod pod, IReadOnlyList<NodeState> nodes, Random random)
    {
        if (nodes.Count == 0)
        {
            return new(null, "no nodes available to schedule pods");
        }

        var reasons = new SortedDictionary<string, int>(StringComparer.Ordinal);
        var feasible = new List<NodeState>();
        var unsupported = Filters.Unsupported(pod);
        foreach (var node in nodes)
        {
            var why = unsupported is null ? Filters.Check(pod, node) : [unsupported];
            if (why.Count == 0)
            {
                feasible.Add(node);
                continue;
            }

            foreach (var r in why)
            {
                reasons[r] = reasons.GetValueOrDefault(r) + 1;
            }
        }

        if (feasible.Count == 0)
        {
            var histogram = reasons.Select(kv => $"{kv.Value} {kv.Key}").Order(StringComparer.Ordinal);
            return new(null, $"0/{nodes.Count} nodes are available: {string.Join(", ", histogram)}.");
        }

        var scores = Scores.Score(pod, feasible);
        int best = 0, ties = 1;
        for (int i = 1; i < feasible.Count; i++)
        {
            if (scores[i] > scores[best])
            {
                best = i;
                ties = 1;
            }
            else if (scores[i] == scores[best] && random.Next(++ties) == 0)
            {
                best = i;
            }
        }

        return new(feasible[best].Name, null);
    }
}
