using System.Text.Json.Nodes;
using static KvCluster.ApiServer.Printing.JsonRead;
using static System.FormattableString;

namespace KvCluster.ApiServer.Printing;

public static partial class KindPrinters
{
    private static void AddCore(Dictionary<(string Group, string Kind), IReadOnlyList<Column>> t)
    {
        t[("", "Pod")] =
        [
            NameColumn(),
            Col("Ready", "string", Doc.PodReady, (o, now) => SummarizePod(o, now).Ready),
            Col("Status", "string", Doc.PodStatus, (o, now) => SummarizePod(o, now).Reason),
            Col("Restarts", "string", Doc.PodRestarts, (o, now) => SummarizePod(o, now).Restarts),
            AgeColumn(),
            // podIPs is the API's copy of podIP (kept in step on every write), so a stored pod with podIP alone shows it too.
            Wide("IP", "string", Doc.PodIP, (o, _) => OrNone(Items(o, "status", "podIPs").Select(a => Text(a, "ip")).FirstOrDefault() ?? Str(o, "status", "podIP"))),
            Wide("Node", "string", Doc.PodNodeName, (o, _) => OrNone(Str(o, "spec", "nodeName"))),
            Wide("Nominated Node", "string", Doc.PodNominatedNodeName, (o, _) => OrNone(Str(o, "status", "nominatedNodeName"))),
            Wide("Readiness Gates", "string", Doc.PodReadinessGates, (o, _) => ReadinessGates(o)),
        ];

        t[("", "Namespace")] =
        [
            NameColumn(),
            Col("Status", "string", Doc.NamespaceStatus, (o, _) => NamespacePhase(o)),
            AgeColumn(),
        ];

        t[("", "Service")] =
        [
            NameColumn(),
            Col("Type", "string", Doc.ServiceType, (o, _) => ServiceType(o)),
            Col("Cluster-IP", "string", Doc.ServiceClusterIP, (o, _) => ClusterIP(o)),
            Col("External-IP", "string", Doc.ServiceExternalIPs, (o, _) => ServiceExternalIP(o)),
            Col("Port(s)", "string", Doc.ServicePorts, (o, _) => ServicePorts(o)),
            AgeColumn(),
            Wide("Selector", "string", Doc.ServiceSelector, (o, _) => FormatLabels(At(o, "spec", "selector"))),
        ];

        t[("", "Endpoints")] =
        [
            NameColumn(),
            Col("Endpoints", "string", Doc.EndpointsSubsets, (o, _) => FormatEndpoints(o)),
            AgeColumn(),
        ];

        t[("", "ConfigMap")] =
        [
            NameColumn(),
            Col("Data", "string", Doc.ConfigMapData, (o, _) => (long)(Count(o, "data") + Count(o, "binaryData"))),
            AgeColumn(),
        ];

        t[("", "Secret")] =
        [
            NameColumn(),
            Col("Type", "string", Doc.SecretType, (o, _) => Text(o, "type")),
            Col("Data", "string", Doc.SecretData, (o, _) => (long)Count(o, "data")),
            AgeColumn(),
        ];

        t[("", "ServiceAccount")] =
        [
            NameColumn(),
            Col("Secrets", "string", Doc.ServiceAccountSecrets, (o, _) => (long)Count(o, "secrets")),
            AgeColumn(),
        ];

        t[("", "Node")] =
        [
            NameColumn(),
            Col("Status", "string", Doc.NodeStatus, (o, _) => NodeStatus(o)),
            Col("Roles", "string", Doc.NodeRoles, (o, _) => NodeRoles(o)),
            AgeColumn(),
            Col("Version", "string", Doc.NodeKubeletVersion, (o, _) => Text(o, "status", "nodeInfo", "kubeletVersion")),
            Wide("Internal-IP", "string", Doc.NodeAddresses, (o, _) => NodeAddress(o, "InternalIP")),
            Wide("External-IP", "string", Doc.NodeAddresses, (o, _) => NodeAddress(o, "ExternalIP")),
            Wide("OS-Image", "string", Doc.NodeOSImage, (o, _) => OrUnknown(Str(o, "status", "nodeInfo", "osImage"))),
            Wide("Kernel-Version", "string", Doc.NodeKernelVersion, (o, _) => OrUnknown(Str(o, "status", "nodeInfo", "kernelVersion"))),
            Wide("Container-Runtime", "string", Doc.NodeContainerRuntime, (o, _) => OrUnknown(Str(o, "status", "nodeInfo", "containerRuntimeVersion"))),
        ];

        // Events are listed by time, so the name comes last and only with -o wide.
        t[("", "Event")] =
        [
            Col("Last Seen", "string", Doc.EventLastTimestamp, EventLastSeen),
            Col("Type", "string", Doc.EventType, (o, _) => Text(o, "type")),
            Col("Reason", "string", Doc.EventReason, (o, _) => Text(o, "reason")),
            Col("Object", "string", Doc.EventInvolvedObject, (o, _) => EventObject(o)),
            Wide("Subobject", "string", Doc.ObjectReferenceFieldPath, (o, _) => Text(o, "involvedObject", "fieldPath")),
            Wide("Source", "string", Doc.EventSource, (o, _) => EventSource(o)),
            Col("Message", "string", Doc.EventMessage, (o, _) => Text(o, "message").Trim()),
            Wide("First Seen", "string", Doc.EventFirstTimestamp, EventFirstSeen),
            Wide("Count", "string", Doc.EventCount, (o, _) => EventCount(o)),
            NameColumn() with { Priority = 1 },
        ];

        t[("", "PersistentVolume")] =
        [
            NameColumn(),
            Col("Capacity", "string", Doc.PvCapacity, (o, _) => Quantity(o, "spec", "capacity", "storage") ?? "0"),
            Col("Access Modes", "string", Doc.PvAccessModes, (o, _) => AccessModes(At(o, "spec", "accessModes"))),
            Col("Reclaim Policy", "string", Doc.PvReclaimPolicy, (o, _) => Text(o, "spec", "persistentVolumeReclaimPolicy")),
            Col("Status", "string", Doc.PvPhase, (o, _) => Has(o, "metadata", "deletionTimestamp") ? "Terminating" : Text(o, "status", "phase")),
            Col("Claim", "string", Doc.PvClaimRef, (o, _) => Obj(o, "spec", "claimRef") is { } claim ? Text(claim, "namespace") + "/" + Text(claim, "name") : ""),
            Col("StorageClass", "string", Doc.PvStorageClass, (o, _) => Str(o, "metadata", "annotations", BetaStorageClassAnnotation) ?? Text(o, "spec", "storageClassName")),
            Col("VolumeAttributesClass", "string", Doc.PvVolumeAttributesClass, (o, _) => Str(o, "spec", "volumeAttributesClassName") ?? "<unset>"),
            Col("Reason", "string", Doc.PvReason, (o, _) => Text(o, "status", "reason")),
            AgeColumn(),
            Wide("VolumeMode", "string", Doc.PvVolumeMode, (o, _) => Str(o, "spec", "volumeMode") ?? "<unset>"),
        ];

        t[("", "PersistentVolumeClaim")] =
        [
            NameColumn(),
            Col("Status", "string", Doc.PvcPhase, (o, _) => Has(o, "metadata", "deletionTimestamp") ? "Terminating" : Text(o, "status", "phase")),
            Col("Volume", "string", Doc.PvcVolumeName, (o, _) => Text(o, "spec", "volumeName")),
            // Capacity and access modes are the bound volume's, so they stay empty until the claim is bound.
            Col("Capacity", "string", Doc.PvcCapacity, (o, _) => Bound(o) ? Quantity(o, "status", "capacity", "storage") ?? "0" : ""),
            Col("Access Modes", "string", Doc.PvcAccessModes, (o, _) => Bound(o) ? AccessModes(At(o, "status", "accessModes")) : ""),
            Col("StorageClass", "string", Doc.PvcStorageClass, (o, _) => Str(o, "metadata", "annotations", BetaStorageClassAnnotation) ?? Text(o, "spec", "storageClassName")),
            Col("VolumeAttributesClass", "string", Doc.PvcVolumeAttributesClass, (o, _) => Str(o, "spec", "volumeAttributesClassName") ?? "<unset>"),
            AgeColumn(),
            Wide("VolumeMode", "string", Doc.PvcVolumeMode, (o, _) => Str(o, "spec", "volumeMode") ?? "<unset>"),
        ];

        t[("", "ResourceQuota")] =
        [
            NameColumn(),
            Col("Request", "string", Doc.QuotaRequest, (o, _) => QuotaUsage(o, limits: false)),
            Col("Limit", "string", Doc.QuotaLimit, (o, _) => QuotaUsage(o, limits: true)),
            AgeColumn(),
        ];
    }

    private const string BetaStorageClassAnnotation = "volume.beta.kubernetes.io/storage-class";

    private static string OrNone(string? s) => string.IsNullOrEmpty(s) ? "<none>" : s;

    private static string OrUnknown(string? s) => string.IsNullOrEmpty(s) ? "<unknown>" : s;

    private static string NamespacePhase(JsonObject ns) =>
        // The registry sets the phase; a stored namespace without one reads as the registry would have set it.
        Str(ns, "status", "phase") ?? (Has(ns, "metadata", "deletionTimestamp") ? "Terminating" : "Active");

    // Service type and port protocols read with their API defaults, as a defaulted object would show them.
    private static string ServiceType(JsonObject svc) => Str(svc, "spec", "type") ?? "ClusterIP";

    /// <summary>The first cluster IP ("None" for a headless service), from clusterIPs or, before that is filled in, clusterIP.</summary>
    private static string ClusterIP(JsonObject svc) =>
        Strings(svc, "spec", "clusterIPs") is [var first, ..] ? first : OrNone(Str(svc, "spec", "clusterIP"));

    private static string ServiceExternalIP(JsonObject svc)
    {
        var externalIPs = Strings(svc, "spec", "externalIPs");
        switch (ServiceType(svc))
        {
            case "ClusterIP":
            case "NodePort":
                return externalIPs.Count > 0 ? string.Join(",", externalIPs) : "<none>";
            case "LoadBalancer":
                var lbIps = LoadBalancerIngress(At(svc, "status", "loadBalancer"));
                if (externalIPs.Count > 0)
                {
                    var all = lbIps.Length > 0 ? lbIps.Split(',').Concat(externalIPs) : externalIPs;
                    return string.Join(",", all);
                }

                return lbIps.Length > 0 ? lbIps : "<pending>";
            case "ExternalName":
                return Text(svc, "spec", "externalName");
            default:
                return "<unknown>";
        }
    }

    private static string ServicePorts(JsonObject svc)
    {
        var pieces = Items(svc, "spec", "ports").Select(p =>
        {
            var port = Long(p, "port") ?? 0;
            var protocol = Str(p, "protocol") ?? "TCP";
            return Long(p, "nodePort") is long nodePort && nodePort > 0
                ? Invariant($"{port}:{nodePort}/{protocol}")
                : Invariant($"{port}/{protocol}");
        }).ToList();
        return pieces.Count == 0 ? "<none>" : string.Join(",", pieces);
    }

    /// <summary>Up to three "ip:port" of the ready addresses, then "+ N more...".</summary>
    private static string FormatEndpoints(JsonObject endpoints)
    {
        var subsets = Items(endpoints, "subsets");
        if (subsets.Count == 0)
        {
            return "<none>";
        }

        const int max = 3;
        var list = new List<string>();
        var more = false;
        var count = 0;
        foreach (var subset in subsets)
        {
            var addresses = Items(subset, "addresses");
            var ports = Items(subset, "ports");
            // A headless service may have no ports: its endpoints are bare addresses.
            var portNumbers = ports.Count == 0 ? [null] : ports.Select(p => (long?)(Long(p, "port") ?? 0)).ToList();
            foreach (var port in portNumbers)
            {
                count += addresses.Count;
                foreach (var address in addresses)
                {
                    if (list.Count == max)
                    {
                        more = true;
                        break;
                    }

                    var ip = Text(address, "ip");
                    list.Add(port is { } p ? JoinHostPort(ip, p) : ip);
                }
            }
        }

        var joined = string.Join(",", list);
        return more ? Invariant($"{joined} + {count - max} more...") : joined;
    }

    private static string JoinHostPort(string host, long port) =>
        host.Contains(':') ? Invariant($"[{host}]:{port}") : Invariant($"{host}:{port}");

    private static string NodeStatus(JsonObject node)
    {
        var status = new List<string>();
        // The last Ready condition listed wins, as when Kubernetes indexes them by type.
        if (Items(node, "status", "conditions").LastOrDefault(c => Str(c, "type") == "Ready") is { } ready)
        {
            status.Add(Str(ready, "status") == "True" ? "Ready" : "NotReady");
        }
        else
        {
            status.Add("Unknown");
        }

        if (Bool(node, "spec", "unschedulable") == true)
        {
            status.Add("SchedulingDisabled");
        }

        return string.Join(",", status);
    }

    /// <summary>Roles from node-role.kubernetes.io/&lt;role&gt; labels and the older kubernetes.io/role=&lt;role&gt;.</summary>
    private static string NodeRoles(JsonObject node)
    {
        const string rolePrefix = "node-role.kubernetes.io/";
        var roles = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var (key, value) in Map(node, "metadata", "labels"))
        {
            if (key.StartsWith(rolePrefix, StringComparison.Ordinal))
            {
                if (key.Length > rolePrefix.Length)
                {
                    roles.Add(key[rolePrefix.Length..]);
                }
            }
            else if (key == "kubernetes.io/role" && value.Length > 0)
            {
                roles.Add(value);
            }
        }

        return roles.Count == 0 ? "<none>" : string.Join(",", roles);
    }

    private static string NodeAddress(JsonObject node, string type) =>
        Items(node, "status", "addresses").FirstOrDefault(a => Str(a, "type") == type) is { } address ? Text(address, "address") : "<none>";

    private static string EventFirstSeen(JsonObject ev, DateTimeOffset now) =>
        // Events of the newer API carry only eventTime.
        Time(ev, "firstTimestamp") is { } first ? Since(first, now) : Since(Time(ev, "eventTime"), now);

    private static string EventLastSeen(JsonObject ev, DateTimeOffset now)
    {
        if (Obj(ev, "series") is { } series)
        {
            return Since(Time(series, "lastObservedTime"), now);
        }

        return Time(ev, "lastTimestamp") is { } last ? Since(last, now) : EventFirstSeen(ev, now);
    }

    private static long EventCount(JsonObject ev)
    {
        if (Obj(ev, "series") is { } series)
        {
            return Long(series, "count") ?? 0;
        }

        // Singleton events of the newer API have no count.
        return Long(ev, "count") is { } count && count != 0 ? count : 1;
    }

    private static string EventObject(JsonObject ev)
    {
        var kind = Text(ev, "involvedObject", "kind").ToLowerInvariant();
        return Str(ev, "involvedObject", "name") is { Length: > 0 } name ? kind + "/" + name : kind;
    }

    /// <summary>"component, host", falling back to the reporting controller and instance of the newer API.</summary>
    private static string EventSource(JsonObject ev)
    {
        var component = Str(ev, "source", "component") is { Length: > 0 } c ? c : Text(ev, "reportingComponent");
        var instance = Str(ev, "source", "host") is { Length: > 0 } h ? h : Text(ev, "reportingInstance");
        return instance.Length == 0 ? component : component + ", " + instance;
    }

    /// <summary>Access modes abbreviated in Kubernetes' fixed order ("RWO,ROX,RWX,RWOP").</summary>
    private static string AccessModes(JsonNode? modes)
    {
        var present = Strings(modes);
        (string Mode, string Short)[] order = [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")];
        return string.Join(",", order.Where(m => present.Contains(m.Mode)).Select(m => m.Short));
    }

    private static bool Bound(JsonObject pvc) => Str(pvc, "spec", "volumeName") is { Length: > 0 };

    /// <summary>"resource: used/hard" for each hard limit, sorted by name; limits.* go to the Limit column.</summary>
    private static string QuotaUsage(JsonObject quota, bool limits)
    {
        var used = Obj(quota, "status", "used");
        var entries = Map(quota, "status", "hard")
            .Where(h => (h.Key.Split('.') is [var first, _, ..] && first == "limits") == limits)
            .OrderBy(h => h.Key, StringComparer.Ordinal)
            .Select(h => $"{h.Key}: {Quantity(used, h.Key) ?? "0"}/{h.Value}");
        return string.Join(", ", entries);
    }
}
