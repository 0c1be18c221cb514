using System.Text.Json.Nodes;
using static KvCluster.ApiServer.Printing.JsonRead;
using static System.FormattableString;

namespace KvCluster.ApiServer.Printing;

// Role and ClusterRole have no printer in Kubernetes either: they get the default NAME, CREATED AT.
public static partial class KindPrinters
{
    private static void AddOthers(Dictionary<(string Group, string Kind), IReadOnlyList<Column>> t)
    {
        t[("networking.k8s.io", "Ingress")] =
        [
            NameColumn(),
            Col("Class", "string", Doc.IngressClass, (o, _) => Str(o, "spec", "ingressClassName") ?? "<none>"),
            Col("Hosts", "string", Doc.IngressHosts, (o, _) => IngressHosts(o)),
            Col("Address", "string", Doc.IngressAddress, (o, _) => LoadBalancerIngress(At(o, "status", "loadBalancer"))),
            Col("Ports", "string", Doc.IngressPorts, (o, _) => Count(o, "spec", "tls") > 0 ? "80, 443" : "80"),
            AgeColumn(),
        ];

        t[("networking.k8s.io", "NetworkPolicy")] =
        [
            NameColumn(),
            Col("Pod-Selector", "string", Doc.NetworkPolicyPodSelector, (o, _) => FormatLabelSelector(At(o, "spec", "podSelector"))),
            AgeColumn(),
        ];

        t[("rbac.authorization.k8s.io", "RoleBinding")] = BindingColumns(Doc.RoleBindingRoleRef, "roleBinding");
        t[("rbac.authorization.k8s.io", "ClusterRoleBinding")] = BindingColumns(Doc.ClusterRoleBindingRoleRef, "clusterRoleBinding");

        t[("storage.k8s.io", "StorageClass")] =
        [
            NameColumn() with { Cell = (o, _) => StorageClassName(o) },
            Col("Provisioner", "string", Doc.StorageClassProvisioner, (o, _) => Text(o, "provisioner")),
            Col("ReclaimPolicy", "string", Doc.StorageClassReclaimPolicy, (o, _) => Str(o, "reclaimPolicy") ?? "Delete"),
            Col("VolumeBindingMode", "string", Doc.StorageClassVolumeBindingMode, (o, _) => Str(o, "volumeBindingMode") ?? "Immediate"),
            // A JSON boolean in Kubernetes' table too, whatever the column's declared type.
            Col("AllowVolumeExpansion", "string", Doc.StorageClassAllowVolumeExpansion, (o, _) => Bool(o, "allowVolumeExpansion") ?? false),
            AgeColumn(),
        ];

        t[("coordination.k8s.io", "Lease")] =
        [
            NameColumn(),
            Col("Holder", "string", Doc.LeaseHolderIdentity, (o, _) => Text(o, "spec", "holderIdentity")),
            AgeColumn(),
        ];

        t[("policy", "PodDisruptionBudget")] =
        [
            NameColumn(),
            Col("Min Available", "string", Doc.PdbMinAvailable, (o, _) => IntOrString(o, "spec", "minAvailable") ?? "N/A"),
            Col("Max Unavailable", "string", Doc.PdbMaxUnavailable, (o, _) => IntOrString(o, "spec", "maxUnavailable") ?? "N/A"),
            Col("Allowed Disruptions", "integer", Doc.PdbAllowedDisruptions, (o, _) => Long(o, "status", "disruptionsAllowed") ?? 0),
            AgeColumn(),
        ];
    }

    private static Column[] BindingColumns(string roleRefDoc, string noun) =>
    [
        NameColumn(),
        Col("Role", "string", roleRefDoc, (o, _) => Text(o, "roleRef", "kind") + "/" + Text(o, "roleRef", "name")),
        AgeColumn(),
        Wide("Users", "string", $"Users in the {noun}", (o, _) => Subjects(o, "User")),
        Wide("Groups", "string", $"Groups in the {noun}", (o, _) => Subjects(o, "Group")),
        Wide("ServiceAccounts", "string", $"ServiceAccounts in the {noun}", (o, _) => Subjects(o, "ServiceAccount")),
    ];

    /// <summary>The binding's subjects of one kind, service accounts as "namespace/name", joined by ", ".</summary>
    private static string Subjects(JsonObject binding, string kind) =>
        string.Join(", ", Items(binding, "subjects")
            .Where(s => Str(s, "kind") == kind)
            .Select(s => kind == "ServiceAccount" ? Text(s, "namespace") + "/" + Text(s, "name") : Text(s, "name")));

    /// <summary>Up to three rule hosts, then "+ N more..." (counting every rule); "*" when no rule names a host.</summary>
    private static string IngressHosts(JsonObject ingress)
    {
        const int max = 3;
        var rules = Items(ingress, "spec", "rules");
        var hosts = new List<string>();
        var more = false;
        foreach (var rule in rules)
        {
            if (hosts.Count == max)
            {
                more = true;
            }

            if (!more && Str(rule, "host") is { Length: > 0 } host)
            {
                hosts.Add(host);
            }
        }

        if (hosts.Count == 0)
        {
            return "*";
        }

        var joined = string.Join(",", hosts);
        return more ? Invariant($"{joined} + {rules.Count - max} more...") : joined;
    }

    private static string StorageClassName(JsonObject storageClass)
    {
        var name = Text(storageClass, "metadata", "name");
        var isDefault = Str(storageClass, "metadata", "annotations", "storageclass.kubernetes.io/is-default-class") == "true"
            || Str(storageClass, "metadata", "annotations", "storageclass.beta.kubernetes.io/is-default-class") == "true";
        return isDefault ? name + " (default)" : name;
    }
}
