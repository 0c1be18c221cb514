using System.Globalization;
using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// What a DELETE does to an object of a kind deleted gracefully (Kubernetes' rest.BeforeDelete). For
/// example, a pod on a node with terminationGracePeriodSeconds 30:
/// <code>
///   DELETE                      → Mark 30: deletionTimestamp = now+30s, deletionGracePeriodSeconds 30 (MODIFIED)
///   DELETE gracePeriodSeconds=60 → Pending: a grace period is only ever shortened
///   DELETE gracePeriodSeconds=5  → Mark 5: deletionTimestamp moves to (old timestamp − 30s + 5s)
///   DELETE gracePeriodSeconds=0  → Mark 0: gone (DELETED), unless finalizers keep it
/// </code>
/// </summary>
public static class GracefulDeletion
{
    public enum Step
    {
        /// <summary>Not graceful: deleted now, or marked by its finalizers, as any other kind.</summary>
        Proceed,

        /// <summary>Set deletionTimestamp and deletionGracePeriodSeconds; with a period of 0 and no finalizers, delete.</summary>
        Mark,

        /// <summary>Already being deleted at least as soon as asked: nothing changes.</summary>
        Pending,
    }

    public readonly record struct Plan(Step Step, long GracePeriod = 0, DateTimeOffset DeletionTimestamp = default);

    public static Plan Decide(JsonObject obj, long? requested, IKindStrategy strategy, DateTimeOffset now)
    {
        // Negative grace periods count as 1 s on the delete path.
        requested = requested < 0 ? 1 : requested;
        if (strategy.GracePeriod(obj, requested) is not { } period)
        {
            return new Plan(Step.Proceed);
        }

        var meta = obj["metadata"];
        if (meta?["deletionTimestamp"]?.GetValue<string>() is { } stamp)
        {
            var current = long.TryParse(meta["deletionGracePeriodSeconds"]?.ToString(), out var c) ? c : 0;
            if (current <= 0)
            {
                // Its time is up (or a delete was cut short after its mark was written): finish it.
                return new Plan(Step.Proceed);
            }

            if (requested is not { } shorter || shorter >= current)
            {
                return new Plan(Step.Pending);
            }

            var at = DateTimeOffset.Parse(stamp, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
            return new Plan(Step.Mark, shorter, at.AddSeconds(shorter - current));
        }

        return period == 0 ? new Plan(Step.Proceed) : new Plan(Step.Mark, period, now.AddSeconds(period));
    }

    /// <summary>Whether an object being deleted has used up its grace period (none, or 0): removing its last finalizer then removes it.</summary>
    public static bool GraceExhausted(JsonObject obj) =>
        !long.TryParse(obj["metadata"]?["deletionGracePeriodSeconds"]?.ToString(), out var g) || g <= 0;
}
