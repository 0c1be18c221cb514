using System.Text.Json.Nodes;
using static KvCluster.ApiServer.Printing.JsonRead;
using static System.FormattableString;

namespace KvCluster.ApiServer.Printing;

public static partial class KindPrinters
{
    // Properties, not fields: BuildTables may run before the static fields of this part are set.
    private static string[] TemplatePodSpec => ["spec", "template", "spec"];

    private static string[] JobTemplatePodSpec => ["spec", "jobTemplate", "spec", "template", "spec"];

    private static void AddWorkloads(Dictionary<(string Group, string Kind), IReadOnlyList<Column>> t)
    {
        t[("apps", "Deployment")] =
        [
            NameColumn(),
            Col("Ready", "string", Doc.ReadyPods, (o, _) => Invariant($"{Long(o, "status", "readyReplicas") ?? 0}/{DesiredReplicas(o)}")),
            Col("Up-to-date", "string", Doc.DeploymentUpdated, (o, _) => Long(o, "status", "updatedReplicas") ?? 0),
            Col("Available", "string", Doc.DeploymentAvailable, (o, _) => Long(o, "status", "availableReplicas") ?? 0),
            AgeColumn(),
            ContainersColumn(1, TemplatePodSpec),
            ImagesColumn(1, TemplatePodSpec),
            // Unlike the other workloads, a Deployment's selector prints bare: "" rather than "<none>".
            Wide("Selector", "string", Doc.DeploymentSelector, (o, _) => SelectorString(At(o, "spec", "selector")) ?? "<invalid>"),
        ];

        t[("apps", "ReplicaSet")] =
        [
            NameColumn(),
            Col("Desired", "integer", Doc.ReplicaSetSpecReplicas, (o, _) => DesiredReplicas(o)),
            Col("Current", "integer", Doc.ReplicaSetStatusReplicas, (o, _) => Long(o, "status", "replicas") ?? 0),
            Col("Ready", "integer", Doc.ReplicaSetReadyReplicas, (o, _) => Long(o, "status", "readyReplicas") ?? 0),
            AgeColumn(),
            ContainersColumn(1, TemplatePodSpec),
            ImagesColumn(1, TemplatePodSpec),
            Wide("Selector", "string", Doc.ReplicaSetSelector, (o, _) => FormatLabelSelector(At(o, "spec", "selector"))),
        ];

        t[("apps", "DaemonSet")] =
        [
            NameColumn(),
            Col("Desired", "integer", Doc.DaemonSetDesired, (o, _) => Long(o, "status", "desiredNumberScheduled") ?? 0),
            Col("Current", "integer", Doc.DaemonSetCurrent, (o, _) => Long(o, "status", "currentNumberScheduled") ?? 0),
            Col("Ready", "integer", Doc.DaemonSetReady, (o, _) => Long(o, "status", "numberReady") ?? 0),
            Col("Up-to-date", "integer", Doc.DaemonSetUpdated, (o, _) => Long(o, "status", "updatedNumberScheduled") ?? 0),
            Col("Available", "integer", Doc.DaemonSetAvailable, (o, _) => Long(o, "status", "numberAvailable") ?? 0),
            Col("Node Selector", "string", Doc.PodNodeSelector, (o, _) => FormatLabels(At(o, "spec", "template", "spec", "nodeSelector"))),
            AgeColumn(),
            ContainersColumn(1, TemplatePodSpec),
            ImagesColumn(1, TemplatePodSpec),
            Wide("Selector", "string", Doc.DaemonSetSelector, (o, _) => FormatLabelSelector(At(o, "spec", "selector"))),
        ];

        t[("apps", "StatefulSet")] =
        [
            NameColumn(),
            Col("Ready", "string", Doc.ReadyPods, (o, _) => Invariant($"{Long(o, "status", "readyReplicas") ?? 0}/{DesiredReplicas(o)}")),
            AgeColumn(),
            ContainersColumn(1, TemplatePodSpec),
            ImagesColumn(1, TemplatePodSpec),
        ];

        t[("apps", "ControllerRevision")] =
        [
            NameColumn(),
            Col("Controller", "string", Doc.ControllerOf, (o, _) => ControllerOf(o)),
            Col("Revision", "string", Doc.ControllerRevisionRevision, (o, _) => Long(o, "revision") ?? 0),
            AgeColumn(),
        ];

        t[("batch", "Job")] =
        [
            NameColumn(),
            Col("Status", "string", Doc.JobStatus, (o, _) => JobStatus(o)),
            Col("Completions", "string", Doc.JobSucceeded, (o, _) => JobCompletions(o)),
            Col("Duration", "string", Doc.JobDuration, JobDuration),
            AgeColumn(),
            ContainersColumn(1, TemplatePodSpec),
            ImagesColumn(1, TemplatePodSpec),
            Wide("Selector", "string", Doc.JobSelector, (o, _) => FormatLabelSelector(At(o, "spec", "selector"))),
        ];

        t[("batch", "CronJob")] =
        [
            NameColumn(),
            Col("Schedule", "string", Doc.CronJobSchedule, (o, _) => Text(o, "spec", "schedule")),
            Col("Timezone", "string", Doc.CronJobTimeZone, (o, _) => Str(o, "spec", "timeZone") ?? "<none>"),
            Col("Suspend", "boolean", Doc.CronJobSuspend, (o, _) => Bool(o, "spec", "suspend") switch
            {
                true => "True",
                false => "False",
                null => "<unset>",
            }),
            Col("Active", "integer", Doc.CronJobActive, (o, _) => (long)Count(o, "status", "active")),
            Col("Last Schedule", "string", Doc.CronJobLastSchedule, (o, now) => Time(o, "status", "lastScheduleTime") is { } last ? Since(last, now) : "<none>"),
            AgeColumn(),
            ContainersColumn(1, JobTemplatePodSpec),
            ImagesColumn(1, JobTemplatePodSpec),
            Wide("Selector", "string", Doc.JobSelector, (o, _) => FormatLabelSelector(At(o, "spec", "jobTemplate", "spec", "selector"))),
        ];

        t[("autoscaling", "HorizontalPodAutoscaler")] =
        [
            NameColumn(),
            Col("Reference", "string", Doc.HpaScaleTargetRef, (o, _) => Text(o, "spec", "scaleTargetRef", "kind") + "/" + Text(o, "spec", "scaleTargetRef", "name")),
            Col("Targets", "string", Doc.HpaMetrics, (o, _) => HpaTargets(o)),
            Col("MinPods", "string", Doc.HpaMinReplicas, (o, _) => Long(o, "spec", "minReplicas") is { } min ? Digits(min) : "<unset>"),
            Col("MaxPods", "string", Doc.HpaMaxReplicas, (o, _) => Long(o, "spec", "maxReplicas") ?? 0),
            Col("Replicas", "string", Doc.HpaCurrentReplicas, (o, _) => Long(o, "status", "currentReplicas") ?? 0),
            AgeColumn(),
        ];
    }

    /// <summary>spec.replicas, with the API's default of 1 when a stored object leaves it out.</summary>
    private static long DesiredReplicas(JsonObject o) => Long(o, "spec", "replicas") ?? 1;

    /// <summary>The controlling owner as "kind.group/name" in lower case ("daemonset.apps/web"), or "&lt;none&gt;".</summary>
    private static string ControllerOf(JsonObject o)
    {
        if (Items(o, "metadata", "ownerReferences").FirstOrDefault(r => Bool(r, "controller") == true) is not { } owner)
        {
            return "<none>";
        }

        var apiVersion = Text(owner, "apiVersion");
        var slash = apiVersion.IndexOf('/');
        var group = slash < 0 ? "" : apiVersion[..slash];
        var kind = Text(owner, "kind");
        var groupKind = group.Length == 0 ? kind : kind + "." + group;
        var name = Text(owner, "name");
        return groupKind.Length == 0 ? name : groupKind.ToLowerInvariant() + "/" + name;
    }

    private static string JobStatus(JsonObject job)
    {
        var conditions = At(job, "status", "conditions");
        if (ConditionTrue(conditions, "Complete"))
        {
            return "Complete";
        }

        if (ConditionTrue(conditions, "Failed"))
        {
            return "Failed";
        }

        if (Has(job, "metadata", "deletionTimestamp"))
        {
            return "Terminating";
        }

        if (ConditionTrue(conditions, "Suspended"))
        {
            return "Suspended";
        }

        return ConditionTrue(conditions, "FailureTarget") ? "FailureTarget" : "Running";
    }

    /// <summary>"succeeded/completions"; a job without completions counts to 1, "of N" telling its parallelism.</summary>
    private static string JobCompletions(JsonObject job)
    {
        var succeeded = Long(job, "status", "succeeded") ?? 0;
        if (Long(job, "spec", "completions") is { } completions)
        {
            return Invariant($"{succeeded}/{completions}");
        }

        var parallelism = Long(job, "spec", "parallelism") ?? 0;
        return parallelism > 1 ? Invariant($"{succeeded}/1 of {parallelism}") : Invariant($"{succeeded}/1");
    }

    /// <summary>How long the job ran (so far, while it runs); empty before it starts.</summary>
    private static string JobDuration(JsonObject job, DateTimeOffset now)
    {
        if (Time(job, "status", "startTime") is not { } start)
        {
            return "";
        }

        return HumanDuration.Format((Time(job, "status", "completionTime") ?? now) - start);
    }

    /// <summary>"current/target" per metric, at most two then "+ N more...", "&lt;none&gt;" without metrics.</summary>
    private static string HpaTargets(JsonObject hpa)
    {
        var specs = Items(hpa, "spec", "metrics");
        var statuses = Items(hpa, "status", "currentMetrics");
        if (specs.Count == 0)
        {
            // autoscaling/v1 keeps its one metric, the average CPU utilization, in dedicated fields.
            if (Long(hpa, "spec", "targetCPUUtilizationPercentage") is not { } targetCpu)
            {
                return "<none>";
            }

            var currentCpu = Long(hpa, "status", "currentCPUUtilizationPercentage") is { } cpu ? Invariant($"{cpu}%") : "<unknown>";
            return Invariant($"cpu: {currentCpu}/{targetCpu}%");
        }

        const int max = 2;
        var list = new List<string>();
        for (var i = 0; i < specs.Count; i++)
        {
            var status = i < statuses.Count ? statuses[i] : null;
            list.Add(HpaMetric(specs[i], status));
        }

        var shown = string.Join(", ", list.Take(max));
        return list.Count > max ? Invariant($"{shown} + {list.Count - max} more...") : shown;
    }

    /// <summary>
    /// One metric as "current/target". An unset quantity prints "&lt;nil&gt;" as Go prints a nil
    /// *Quantity; a metric without a status (yet) has current "&lt;unknown&gt;".
    /// </summary>
    private static string HpaMetric(JsonObject spec, JsonObject? status)
    {
        const string unknown = "<unknown>";
        const string nil = "<nil>";
        switch (Str(spec, "type"))
        {
            case "External":
            case "Object":
            {
                var source = Str(spec, "type") == "External" ? "external" : "object";
                var target = Obj(spec, source, "target");
                var sourceStatus = Obj(status, source);
                if (Quantity(target, "averageValue") is { } averageTarget)
                {
                    return $"{Quantity(sourceStatus, "current", "averageValue") ?? unknown}/{averageTarget} (avg)";
                }

                var value = sourceStatus is null ? unknown : Quantity(sourceStatus, "current", "value") ?? nil;
                return $"{value}/{Quantity(target, "value") ?? nil}";
            }

            case "Pods":
            {
                var value = Obj(status, "pods") is { } pods ? Quantity(pods, "current", "averageValue") ?? nil : unknown;
                return $"{value}/{Quantity(spec, "pods", "target", "averageValue") ?? nil}";
            }

            case "Resource":
            case "ContainerResource":
            {
                var source = Str(spec, "type") == "Resource" ? "resource" : "containerResource";
                var resource = Text(spec, source, "name");
                var target = Obj(spec, source, "target");
                var sourceStatus = Obj(status, source);
                if (Quantity(target, "averageValue") is { } averageTarget)
                {
                    var value = sourceStatus is null ? unknown : Quantity(sourceStatus, "current", "averageValue") ?? nil;
                    return $"{resource}: {value}/{averageTarget}";
                }

                var current = Long(sourceStatus, "current", "averageUtilization") is { } utilization ? Invariant($"{utilization}%") : unknown;
                var goal = Long(target, "averageUtilization") is { } targetUtilization ? Invariant($"{targetUtilization}%") : "<auto>";
                return $"{resource}: {current}/{goal}";
            }

            default:
                return "<unknown type>";
        }
    }
}
