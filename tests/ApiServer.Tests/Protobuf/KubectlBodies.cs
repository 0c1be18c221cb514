namespace KvCluster.ApiServer.Tests.Protobuf;

/// <summary>
/// Request bodies kubectl v1.32.4 sent for typed `kubectl create` commands (captured with a local listener; bin.dat holds
/// the bytes 00 01 02 ff), each with what the same command prints with --dry-run=client -o json: the Go JSON of the very
/// object it encoded, which decoding must reproduce.
/// </summary>
internal static class KubectlBodies
{
    public static TheoryData<string> Names()
    {
        var names = new TheoryData<string>();
        foreach (var name in All.Keys)
        {
            names.Add(name);
        }

        return names;
    }

    public static readonly Dictionary<string, (string Command, string Body, string Json)> All = new()
    {
        ["namespace"] = (
            """kubectl create namespace ns1""",
            "azhzAAoPCgJ2MRIJTmFtZXNwYWNlEhsKEwoDbnMxEgAaACIAKgAyADgAQgASABoCCgAaACIA",
            """{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"ns1","creationTimestamp":null},"spec":{},"status":{}}"""),
        ["configmap"] = (
            """kubectl create configmap cm1 --from-literal=a=b --from-literal=c= --from-file=bin=bin.dat""",
            "azhzAAoPCgJ2MRIJQ29uZmlnTWFwEjEKEwoDY20xEgAaACIAKgAyADgAQgASBgoBYRIBYhIFCgFjEgAaCwoDYmluEgQAAQL/GgAiAA==",
            """{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm1","creationTimestamp":null},"data":{"a":"b","c":""},"binaryData":{"bin":"AAEC/w=="}}"""),
        ["secret-generic"] = (
            """kubectl create secret generic s1 --from-file=bin=bin.dat --from-literal=x=y --type=Opaque""",
            "azhzAAoMCgJ2MRIGU2VjcmV0EjEKEgoCczESABoAIgAqADIAOABCABILCgNiaW4SBAABAv8SBgoBeBIBeRoGT3BhcXVlGgAiAA==",
            """{"kind":"Secret","apiVersion":"v1","metadata":{"name":"s1","creationTimestamp":null},"data":{"bin":"AAEC/w==","x":"eQ=="},"type":"Opaque"}"""),
        ["secret-docker"] = (
            """kubectl create secret docker-registry dr1 --docker-server=r.io --docker-username=u --docker-password=p""",
            "azhzAAoMCgJ2MRIGU2VjcmV0EowBChMKA2RyMRIAGgAiACoAMgA4AEIAElUKES5kb2NrZXJjb25maWdqc29uEkB7ImF1dGhzIjp7InIuaW8iOnsidXNlcm5hbWUiOiJ1IiwicGFzc3dvcmQiOiJwIiwiYXV0aCI6ImRUcHcifX19Gh5rdWJlcm5ldGVzLmlvL2RvY2tlcmNvbmZpZ2pzb24aACIA",
            """{"kind":"Secret","apiVersion":"v1","metadata":{"name":"dr1","creationTimestamp":null},"data":{".dockerconfigjson":"eyJhdXRocyI6eyJyLmlvIjp7InVzZXJuYW1lIjoidSIsInBhc3N3b3JkIjoicCIsImF1dGgiOiJkVHB3In19fQ=="},"type":"kubernetes.io/dockerconfigjson"}"""),
        ["deployment"] = (
            """kubectl create deployment d1 --image=nginx --port=80 --replicas=0""",
            "azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50ErQBCh0KAmQxEgAaACIAKgAyADgAQgBaCQoDYXBwEgJkMRKEAQgAEgsKCQoDYXBwEgJkMRprChsKABIAGgAiACoAMgA4AEIAWgkKA2FwcBICZDESTBIuCgVuZ2lueBIFbmdpbngqADIKCgAQABhQIgAqAEIAagByAIABAIgBAJABAKIBABoAMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAiAgoAKAA4ABoMCAAQABgAIAAoADgAGgAiAA==",
            """{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d1","creationTimestamp":null,"labels":{"app":"d1"}},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"d1"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"d1"}},"spec":{"containers":[{"name":"nginx","image":"nginx","ports":[{"containerPort":80}],"resources":{}}]}},"strategy":{}},"status":{}}"""),
        ["deployment2"] = (
            """kubectl create deployment d2 --image=nginx --image=busybox""",
            "azhzAAoVCgdhcHBzL3YxEgpEZXBsb3ltZW50EtEBCh0KAmQyEgAaACIAKgAyADgAQgBaCQoDYXBwEgJkMhKhAQgBEgsKCQoDYXBwEgJkMhqHAQobCgASABoAIgAqADIAOABCAFoJCgNhcHASAmQyEmgSIgoFbmdpbngSBW5naW54KgBCAGoAcgCAAQCIAQCQAQCiAQASJgoHYnVzeWJveBIHYnVzeWJveCoAQgBqAHIAgAEAiAEAkAEAogEAGgAyAEIASgBSAFgAYABoAIIBAIoBAJoBAMIBACICCgAoADgAGgwIABAAGAAgACgAOAAaACIA",
            """{"kind":"Deployment","apiVersion":"apps/v1","metadata":{"name":"d2","creationTimestamp":null,"labels":{"app":"d2"}},"spec":{"replicas":1,"selector":{"matchLabels":{"app":"d2"}},"template":{"metadata":{"creationTimestamp":null,"labels":{"app":"d2"}},"spec":{"containers":[{"name":"nginx","image":"nginx","resources":{}},{"name":"busybox","image":"busybox","resources":{}}]}},"strategy":{}},"status":{}}"""),
        ["service-clusterip"] = (
            """kubectl create service clusterip svc1 --tcp=80:8080""",
            "azhzAAoNCgJ2MRIHU2VydmljZRJsCiEKBHN2YzESABoAIgAqADIAOABCAFoLCgNhcHASBHN2YzESQwobCgc4MC04MDgwEgNUQ1AYUCIHCAAQkD8aACgAEgsKA2FwcBIEc3ZjMRoAIglDbHVzdGVySVA6AEIAUgBaAGAAaAAaAgoAGgAiAA==",
            """{"kind":"Service","apiVersion":"v1","metadata":{"name":"svc1","creationTimestamp":null,"labels":{"app":"svc1"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080}],"selector":{"app":"svc1"},"type":"ClusterIP"},"status":{"loadBalancer":{}}}"""),
        ["service-nodeport"] = (
            """kubectl create service nodeport np1 --tcp=80:8080 --node-port=30080""",
            "azhzAAoNCgJ2MRIHU2VydmljZRJqCh8KA25wMRIAGgAiACoAMgA4AEIAWgoKA2FwcBIDbnAxEkMKHQoHODAtODA4MBIDVENQGFAiBwgAEJA/GgAogOsBEgoKA2FwcBIDbnAxGgAiCE5vZGVQb3J0OgBCAFIAWgBgAGgAGgIKABoAIgA=",
            """{"kind":"Service","apiVersion":"v1","metadata":{"name":"np1","creationTimestamp":null,"labels":{"app":"np1"}},"spec":{"ports":[{"name":"80-8080","protocol":"TCP","port":80,"targetPort":8080,"nodePort":30080}],"selector":{"app":"np1"},"type":"NodePort"},"status":{"loadBalancer":{}}}"""),
        ["serviceaccount"] = (
            """kubectl create serviceaccount sa1""",
            "azhzAAoUCgJ2MRIOU2VydmljZUFjY291bnQSFQoTCgNzYTESABoAIgAqADIAOABCABoAIgA=",
            """{"kind":"ServiceAccount","apiVersion":"v1","metadata":{"name":"sa1","creationTimestamp":null}}"""),
        ["job"] = (
            """kubectl create job j1 --image=busybox -- echo hi""",
            "azhzAAoPCghiYXRjaC92MRIDSm9iEoQBChIKAmoxEgAaACIAKgAyADgAQgASZDJiChAKABIAGgAiACoAMgA4AEIAEk4SKwoCajESB2J1c3lib3gaBGVjaG8aAmhpKgBCAGoAcgCAAQCIAQCQAQCiAQAaBU5ldmVyMgBCAEoAUgBYAGAAaACCAQCKAQCaAQDCAQAaCCAAKAAwADoAGgAiAA==",
            """{"kind":"Job","apiVersion":"batch/v1","metadata":{"name":"j1","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"j1","image":"busybox","command":["echo","hi"],"resources":{}}],"restartPolicy":"Never"}}},"status":{}}"""),
        ["cronjob"] = (
            """kubectl create cronjob cj1 --image=busybox --schedule="*/1 * * * *" --restart=OnFailure -- echo hi""",
            "azhzAAoTCghiYXRjaC92MRIHQ3JvbkpvYhKsAQoTCgNjajESABoAIgAqADIAOABCABKSAQoLKi8xICogKiAqICoaACqAAQoTCgNjajESABoAIgAqADIAOABCABJpMmcKEAoAEgAaACIAKgAyADgAQgASUxIsCgNjajESB2J1c3lib3gaBGVjaG8aAmhpKgBCAGoAcgCAAQCIAQCQAQCiAQAaCU9uRmFpbHVyZTIAQgBKAFIAWABgAGgAggEAigEAmgEAwgEAGgAaACIA",
            """{"kind":"CronJob","apiVersion":"batch/v1","metadata":{"name":"cj1","creationTimestamp":null},"spec":{"schedule":"*/1 * * * *","jobTemplate":{"metadata":{"name":"cj1","creationTimestamp":null},"spec":{"template":{"metadata":{"creationTimestamp":null},"spec":{"containers":[{"name":"cj1","image":"busybox","command":["echo","hi"],"resources":{}}],"restartPolicy":"OnFailure"}}}}},"status":{}}"""),
        ["role"] = (
            """kubectl create role r1 --verb=get,list --resource=pods --resource-name=p1""",
            "azhzAAokChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgRSb2xlEi0KEgoCcjESABoAIgAqADIAOABCABIXCgNnZXQKBGxpc3QSABoEcG9kcyICcDEaACIA",
            """{"kind":"Role","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"r1","creationTimestamp":null},"rules":[{"verbs":["get","list"],"apiGroups":[""],"resources":["pods"],"resourceNames":["p1"]}]}"""),
        ["rolebinding"] = (
            """kubectl create rolebinding rb1 --role=r1 --user=u1 --serviceaccount=default:sa1""",
            "azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtSb2xlQmluZGluZxKHAQoTCgNyYjESABoAIgAqADIAOABCABInCgRVc2VyEhlyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvGgJ1MSIAEiAKDlNlcnZpY2VBY2NvdW50EgAaA3NhMSIHZGVmYXVsdBolChlyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvEgRSb2xlGgJyMRoAIgA=",
            """{"kind":"RoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"rb1","creationTimestamp":null},"subjects":[{"kind":"User","apiGroup":"rbac.authorization.k8s.io","name":"u1"},{"kind":"ServiceAccount","name":"sa1","namespace":"default"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"Role","name":"r1"}}"""),
        ["clusterrole"] = (
            """kubectl create clusterrole cr1 --verb=get --resource=nodes --non-resource-url=/healthz""",
            "azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtDbHVzdGVyUm9sZRI2ChMKA2NyMRIAGgAiACoAMgA4AEIAEg4KA2dldBIAGgVub2RlcxIPCgNnZXQqCC9oZWFsdGh6GgAiAA==",
            """{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"cr1","creationTimestamp":null},"rules":[{"verbs":["get"],"apiGroups":[""],"resources":["nodes"]},{"verbs":["get"],"nonResourceURLs":["/healthz"]}]}"""),
        ["clusterrole-agg"] = (
            """kubectl create clusterrole cr2 --aggregation-rule=a=b""",
            "azhzAAorChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEgtDbHVzdGVyUm9sZRIhChMKA2NyMhIAGgAiACoAMgA4AEIAGgoKCAoGCgFhEgFiGgAiAA==",
            """{"kind":"ClusterRole","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"cr2","creationTimestamp":null},"rules":null,"aggregationRule":{"clusterRoleSelectors":[{"matchLabels":{"a":"b"}}]}}"""),
        ["clusterrolebinding"] = (
            """kubectl create clusterrolebinding crb1 --clusterrole=cr1 --group=g1""",
            "azhzAAoyChxyYmFjLmF1dGhvcml6YXRpb24uazhzLmlvL3YxEhJDbHVzdGVyUm9sZUJpbmRpbmcSbwoUCgRjcmIxEgAaACIAKgAyADgAQgASKAoFR3JvdXASGXJiYWMuYXV0aG9yaXphdGlvbi5rOHMuaW8aAmcxIgAaLQoZcmJhYy5hdXRob3JpemF0aW9uLms4cy5pbxILQ2x1c3RlclJvbGUaA2NyMRoAIgA=",
            """{"kind":"ClusterRoleBinding","apiVersion":"rbac.authorization.k8s.io/v1","metadata":{"name":"crb1","creationTimestamp":null},"subjects":[{"kind":"Group","apiGroup":"rbac.authorization.k8s.io","name":"g1"}],"roleRef":{"apiGroup":"rbac.authorization.k8s.io","kind":"ClusterRole","name":"cr1"}}"""),
        ["quota"] = (
            """kubectl create quota q1 --hard=cpu=1,memory=1G,pods=2 --scopes=BestEffort""",
            "azhzAAoTCgJ2MRINUmVzb3VyY2VRdW90YRJNChIKAnExEgAaACIAKgAyADgAQgASNQoKCgNjcHUSAwoBMQoOCgZtZW1vcnkSBAoCMUcKCwoEcG9kcxIDCgEyEgpCZXN0RWZmb3J0GgAaACIA",
            """{"kind":"ResourceQuota","apiVersion":"v1","metadata":{"name":"q1","creationTimestamp":null},"spec":{"hard":{"cpu":"1","memory":"1G","pods":"2"},"scopes":["BestEffort"]},"status":{}}"""),
        ["pdb"] = (
            """kubectl create poddisruptionbudget pdb1 --selector=app=x --min-available=50%""",
            "azhzAAogCglwb2xpY3kvdjESE1BvZERpc3J1cHRpb25CdWRnZXQSOwoUCgRwZGIxEgAaACIAKgAyADgAQgASFwoJCAEQABoDNTAlEgoKCAoDYXBwEgF4GgoIABgAIAAoADAAGgAiAA==",
            """{"kind":"PodDisruptionBudget","apiVersion":"policy/v1","metadata":{"name":"pdb1","creationTimestamp":null},"spec":{"minAvailable":"50%","selector":{"matchLabels":{"app":"x"}}},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}"""),
        ["pdb2"] = (
            """kubectl create poddisruptionbudget pdb2 --selector=app=x --max-unavailable=1""",
            "azhzAAogCglwb2xpY3kvdjESE1BvZERpc3J1cHRpb25CdWRnZXQSOAoUCgRwZGIyEgAaACIAKgAyADgAQgASFBIKCggKA2FwcBIBeBoGCAAQARoAGgoIABgAIAAoADAAGgAiAA==",
            """{"kind":"PodDisruptionBudget","apiVersion":"policy/v1","metadata":{"name":"pdb2","creationTimestamp":null},"spec":{"selector":{"matchLabels":{"app":"x"}},"maxUnavailable":1},"status":{"disruptionsAllowed":0,"currentHealthy":0,"desiredHealthy":0,"expectedPods":0}}"""),
        ["priorityclass"] = (
            """kubectl create priorityclass pc1 --value=1000 --description=hi --preemption-policy=Never""",
            "azhzAAolChRzY2hlZHVsaW5nLms4cy5pby92MRINUHJpb3JpdHlDbGFzcxIlChMKA3BjMRIAGgAiACoAMgA4AEIAEOgHGAAiAmhpKgVOZXZlchoAIgA=",
            """{"kind":"PriorityClass","apiVersion":"scheduling.k8s.io/v1","metadata":{"name":"pc1","creationTimestamp":null},"value":1000,"description":"hi","preemptionPolicy":"Never"}"""),
        ["ingress"] = (
            """kubectl create ingress ing1 --rule="foo.com/bar*=svc1:8080,tls=my-cert" --class=default --annotation=a=b --default-backend=defsvc:http""",
            "azhzAAofChRuZXR3b3JraW5nLms4cy5pby92MRIHSW5ncmVzcxKHAQocCgRpbmcxEgAaACIAKgAyADgAQgBiBgoBYRIBYhJjChQiEgoGZGVmc3ZjEggKBGh0dHAQABISCgdmb28uY29tEgdteS1jZXJ0Gi4KB2Zvby5jb20SIwohCh8KBC9iYXISDyINCgRzdmMxEgUKABCQPxoGUHJlZml4IgdkZWZhdWx0GgIKABoAIgA=",
            """{"kind":"Ingress","apiVersion":"networking.k8s.io/v1","metadata":{"name":"ing1","creationTimestamp":null,"annotations":{"a":"b"}},"spec":{"ingressClassName":"default","defaultBackend":{"service":{"name":"defsvc","port":{"name":"http"}}},"tls":[{"hosts":["foo.com"],"secretName":"my-cert"}],"rules":[{"host":"foo.com","http":{"paths":[{"path":"/bar","pathType":"Prefix","backend":{"service":{"name":"svc1","port":{"number":8080}}}}]}}]},"status":{"loadBalancer":{}}}"""),
        ["job-from-cronjob"] = (KubectlRichJob.Command, KubectlRichJob.Body, KubectlRichJob.Json),
    };
}
