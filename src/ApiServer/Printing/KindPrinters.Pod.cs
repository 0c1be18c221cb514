using System.Text.Json.Nodes;
using static KvCluster.ApiServer.Printing.JsonRead;
using static System.FormattableString;

namespace KvCluster.ApiServer.Printing;

// The cells of the Pod table that need more than a field: READY, STATUS, RESTARTS and READINESS GATES.
public static partial class KindPrinters
{
    private readonly record struct PodSummary(string Ready, string Reason, string Restarts);

    /// <summary>
    /// The READY, STATUS and RESTARTS of a pod. The status is the most telling reason found: an init
    /// container still running or failed ("Init:0/2", "Init:CrashLoopBackOff"), else the last
    /// container's waiting or terminated reason, else the phase; a pod being deleted is "Terminating".
    /// </summary>
    private static PodSummary SummarizePod(JsonObject pod, DateTimeOffset now)
    {
        var status = Obj(pod, "status");
        var phase = Text(status, "phase");
        var reason = Str(status, "reason") is { Length: > 0 } statusReason ? statusReason : phase;
        if (Items(status, "conditions").Any(c => Str(c, "type") == "PodScheduled" && Str(c, "reason") == "SchedulingGated"))
        {
            reason = "SchedulingGated";
        }

        var initContainers = Items(pod, "spec", "initContainers");
        // Sidecars (init containers that restart always) run beside the app containers and count among them.
        var sidecars = initContainers.Where(c => Str(c, "restartPolicy") == "Always").Select(c => Text(c, "name")).ToHashSet(StringComparer.Ordinal);
        var total = Count(pod, "spec", "containers") + sidecars.Count;
        var ready = 0;
        var restarts = 0L;
        var sidecarRestarts = 0L;
        DateTimeOffset? lastRestart = null;
        DateTimeOffset? lastSidecarRestart = null;

        var initializing = false;
        var initStatuses = Items(status, "initContainerStatuses");
        for (var i = 0; i < initStatuses.Count; i++)
        {
            var container = initStatuses[i];
            var restartCount = Long(container, "restartCount") ?? 0;
            var finished = LastTermination(container);
            restarts += restartCount;
            lastRestart = Latest(lastRestart, finished);
            var isSidecar = sidecars.Contains(Text(container, "name"));
            if (isSidecar)
            {
                sidecarRestarts += restartCount;
                lastSidecarRestart = Latest(lastSidecarRestart, finished);
            }

            var terminated = Obj(container, "state", "terminated");
            var exitCode = Long(terminated, "exitCode") ?? 0;
            if (terminated is not null && exitCode == 0)
            {
                continue;
            }

            if (isSidecar && Bool(container, "started") == true)
            {
                if (Bool(container, "ready") == true)
                {
                    ready++;
                }

                continue;
            }

            if (terminated is not null)
            {
                var signal = Long(terminated, "signal") ?? 0;
                reason = Str(terminated, "reason") is { Length: > 0 } terminatedReason
                    ? "Init:" + terminatedReason
                    : signal != 0 ? Invariant($"Init:Signal:{signal}") : Invariant($"Init:ExitCode:{exitCode}");
            }
            else if (Str(container, "state", "waiting", "reason") is { Length: > 0 } waitingReason && waitingReason != "PodInitializing")
            {
                reason = "Init:" + waitingReason;
            }
            else
            {
                reason = Invariant($"Init:{i}/{initContainers.Count}");
            }

            initializing = true;
            break;
        }

        if (!initializing || ConditionTrue(At(status, "conditions"), "Initialized"))
        {
            // Once initialized, only the sidecars' restarts still matter among the init containers'.
            restarts = sidecarRestarts;
            lastRestart = lastSidecarRestart;
            var hasRunning = false;
            var statuses = Items(status, "containerStatuses");
            for (var i = statuses.Count - 1; i >= 0; i--)
            {
                var container = statuses[i];
                restarts += Long(container, "restartCount") ?? 0;
                lastRestart = Latest(lastRestart, LastTermination(container));
                var terminated = Obj(container, "state", "terminated");
                if (Str(container, "state", "waiting", "reason") is { Length: > 0 } waitingReason)
                {
                    reason = waitingReason;
                }
                else if (Str(terminated, "reason") is { Length: > 0 } terminatedReason)
                {
                    reason = terminatedReason;
                }
                else if (terminated is not null)
                {
                    var signal = Long(terminated, "signal") ?? 0;
                    reason = signal != 0 ? Invariant($"Signal:{signal}") : Invariant($"ExitCode:{Long(terminated, "exitCode") ?? 0}");
                }
                else if (Bool(container, "ready") == true && Has(container, "state", "running"))
                {
                    hasRunning = true;
                    ready++;
                }
            }

            // A completed container beside running ones does not make the pod completed.
            if (reason == "Completed" && hasRunning)
            {
                var podReady = Items(status, "conditions").Any(c => Str(c, "type") == "Ready" && Str(c, "status") == "True");
                reason = podReady ? "Running" : "NotReady";
            }
        }

        if (Has(pod, "metadata", "deletionTimestamp"))
        {
            if (Str(status, "reason") == "NodeLost")
            {
                reason = "Unknown";
            }
            else if (phase is not ("Succeeded" or "Failed"))
            {
                reason = "Terminating";
            }
        }

        var restartsText = restarts != 0 && lastRestart is { } last
            ? Invariant($"{restarts} ({Since(last, now)} ago)")
            : Digits(restarts);
        return new PodSummary(Invariant($"{ready}/{total}"), reason, restartsText);
    }

    /// <summary>When a container last stopped (its last termination), if it did.</summary>
    private static DateTimeOffset? LastTermination(JsonObject container) => Time(container, "lastState", "terminated", "finishedAt");

    private static DateTimeOffset? Latest(DateTimeOffset? a, DateTimeOffset? b) => a is null || b > a ? b ?? a : a;

    private static string ReadinessGates(JsonObject pod)
    {
        var gates = Items(pod, "spec", "readinessGates");
        if (gates.Count == 0)
        {
            return "<none>";
        }

        var conditions = Items(pod, "status", "conditions");
        var passed = gates.Count(g =>
            conditions.FirstOrDefault(c => Str(c, "type") == Text(g, "conditionType")) is { } condition && Str(condition, "status") == "True");
        return Invariant($"{passed}/{gates.Count}");
    }
}
