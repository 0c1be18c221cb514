using Google.Protobuf;
using KvCluster.ApiServer.Protobuf.Wire.AppsV1;
using KvCluster.ApiServer.Protobuf.Wire.AutoscalingV1;
using KvCluster.ApiServer.Protobuf.Wire.BatchV1;
using KvCluster.ApiServer.Protobuf.Wire.CoreV1;
using KvCluster.ApiServer.Protobuf.Wire.MetaV1;
using KvCluster.ApiServer.Protobuf.Wire.NetworkingV1;
using KvCluster.ApiServer.Protobuf.Wire.PolicyV1;
using KvCluster.ApiServer.Protobuf.Wire.RbacV1;
using KvCluster.ApiServer.Protobuf.Wire.SchedulingV1;

namespace KvCluster.ApiServer.Protobuf;

/// <summary>The kinds whose protobuf encoding can be decoded, by the apiVersion and kind of the envelope.</summary>
internal static class KubeKinds
{
    private static readonly Dictionary<(string ApiVersion, string Kind), MessageParser> Parsers = new()
    {
        [("v1", "Namespace")] = Namespace.Parser,
        [("v1", "ConfigMap")] = ConfigMap.Parser,
        [("v1", "Secret")] = Secret.Parser,
        [("v1", "Service")] = Service.Parser,
        [("v1", "ServiceAccount")] = ServiceAccount.Parser,
        [("v1", "ResourceQuota")] = ResourceQuota.Parser,
        [("v1", "Pod")] = Pod.Parser,
        [("apps/v1", "Deployment")] = Deployment.Parser,
        [("autoscaling/v1", "HorizontalPodAutoscaler")] = HorizontalPodAutoscaler.Parser,
        [("batch/v1", "Job")] = Job.Parser,
        [("batch/v1", "CronJob")] = CronJob.Parser,
        [("rbac.authorization.k8s.io/v1", "Role")] = Role.Parser,
        [("rbac.authorization.k8s.io/v1", "RoleBinding")] = RoleBinding.Parser,
        [("rbac.authorization.k8s.io/v1", "ClusterRole")] = ClusterRole.Parser,
        [("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")] = ClusterRoleBinding.Parser,
        [("networking.k8s.io/v1", "Ingress")] = Ingress.Parser,
        [("policy/v1", "PodDisruptionBudget")] = PodDisruptionBudget.Parser,
        [("scheduling.k8s.io/v1", "PriorityClass")] = PriorityClass.Parser,
    };

    public static MessageParser? Find(string apiVersion, string kind)
    {
        // Kubernetes registers DeleteOptions in every group version (and in meta.k8s.io/v1), so any version names it.
        if (kind == "DeleteOptions")
        {
            return DeleteOptions.Parser;
        }

        return Parsers.GetValueOrDefault((apiVersion, kind));
    }
}
