namespace KvCluster.ApiServer.Registry;

/// <summary>The kinds kube-apiserver 1.32 serves that KvCluster serves too, one row each (names and short names as in Kubernetes).</summary>
public static class BuiltinKinds
{
    private static readonly string[] All = ["all"];
    private static readonly string[] Status = ["status"];
    private static readonly string[] StatusScale = ["status", "scale"];

    public static IReadOnlyList<ResourceKind> Rows { get; } =
    [
        // core/v1
        Core("Namespace", "namespaces", false, ["ns"]) with { Subresources = ["status", "finalize"], ReturnDeletedObject = true, LabelNames = true },
        Core("Pod", "pods", true, ["po"]) with { Categories = All, Subresources = ["status", "binding", "log", "exec", "attach", "portforward"], ReturnDeletedObject = true },
        Core("Service", "services", true, ["svc"]) with { Categories = All, Subresources = Status, ReturnDeletedObject = true, LabelNames = true },
        Core("Endpoints", "endpoints", true, ["ep"]) with { Singular = "endpoints" },
        Core("ConfigMap", "configmaps", true, ["cm"]),
        Core("Secret", "secrets", true, []),
        Core("ServiceAccount", "serviceaccounts", true, ["sa"]),
        Core("Node", "nodes", false, ["no"]) with { Subresources = Status, ReturnDeletedObject = true },
        Core("Event", "events", true, ["ev"]),
        Core("PersistentVolume", "persistentvolumes", false, ["pv"]) with { Subresources = Status },
        Core("PersistentVolumeClaim", "persistentvolumeclaims", true, ["pvc"]) with { Subresources = Status },
        Core("LimitRange", "limitranges", true, ["limits"]),
        Core("ResourceQuota", "resourcequotas", true, ["quota"]) with { Subresources = Status },

        // apps/v1
        Spec("apps", "v1", "Deployment", "deployments", true, ["deploy"], StatusScale) with { Categories = All },
        Spec("apps", "v1", "ReplicaSet", "replicasets", true, ["rs"], StatusScale) with { Categories = All },
        Spec("apps", "v1", "DaemonSet", "daemonsets", true, ["ds"], Status) with { Categories = All },
        Spec("apps", "v1", "StatefulSet", "statefulsets", true, ["sts"], StatusScale) with { Categories = All },
        Row("apps", "v1", "ControllerRevision", "controllerrevisions", true, []),

        // batch/v1
        Spec("batch", "v1", "Job", "jobs", true, [], Status) with { Categories = All },
        Spec("batch", "v1", "CronJob", "cronjobs", true, ["cj"], Status) with { Categories = All },

        // autoscaling: v2 is the preferred version, v1 the older view of the same objects.
        Spec("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, ["hpa"], Status) with { Categories = All },
        Spec("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers", true, ["hpa"], Status) with { Categories = All },

        // networking.k8s.io/v1
        Spec("networking.k8s.io", "v1", "Ingress", "ingresses", true, ["ing"], Status),
        Spec("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", true, ["netpol"], []),

        // rbac.authorization.k8s.io/v1
        Row("rbac.authorization.k8s.io", "v1", "Role", "roles", true, []),
        Row("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", true, []),
        Row("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", false, []),
        Row("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings", false, []),

        // storage.k8s.io/v1, coordination.k8s.io/v1, policy/v1
        Row("storage.k8s.io", "v1", "StorageClass", "storageclasses", false, ["sc"]),
        Row("coordination.k8s.io", "v1", "Lease", "leases", true, []),
        Spec("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", true, ["pdb"], Status),

        // apiextensions.k8s.io/v1: the kinds they declare are served as they are created (Registry/Crd).
        Row("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions", false, ["crd", "crds"]) with { Subresources = Status, Categories = ["api-extensions"] },
    ];

    private static ResourceKind Core(string kind, string plural, bool namespaced, string[] shortNames) =>
        Row("", "v1", kind, plural, namespaced, shortNames);

    private static ResourceKind Row(string group, string version, string kind, string plural, bool namespaced, string[] shortNames) =>
        new(group, version, kind, plural, kind.ToLowerInvariant(), namespaced) { ShortNames = shortNames };

    /// <summary>A kind whose spec changes bump metadata.generation (the workload controllers' kinds).</summary>
    private static ResourceKind Spec(string group, string version, string kind, string plural, bool namespaced, string[] shortNames, string[] subresources) =>
        Row(group, version, kind, plural, namespaced, shortNames) with { HasGeneration = true, Subresources = subresources };
}
