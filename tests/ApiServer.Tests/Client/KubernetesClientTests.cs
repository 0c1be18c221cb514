using k8s;
using k8s.Autorest;
using k8s.Models;
using KvCluster.ApiServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Client;

/// <summary>
/// The official C# client (KubernetesClient) against the apiserver, from the kubeconfig the server
/// writes: CRUD, list with selectors, and watch on several kinds.
/// </summary>
public abstract class KubernetesClientTests(ApiServerFixture fixture) : IDisposable
{
    private readonly Kubernetes _client = new(KubernetesClientConfiguration.BuildConfigFromConfigFile(fixture.Server.Kubeconfig));

    public void Dispose() => _client.Dispose();

    private async Task<string> NamespaceAsync()
    {
        var ns = Names.Unique("client");
        await _client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        return ns;
    }

    [Fact]
    public async Task Config_map_create_read_replace_list_delete()
    {
        var ns = await NamespaceAsync();
        var created = await _client.CoreV1.CreateNamespacedConfigMapAsync(
            new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "app", Labels = new Dictionary<string, string> { ["tier"] = "web" } }, Data = new Dictionary<string, string> { ["k"] = "v" } }, ns);
        Assert.NotNull(created.Metadata.Uid);
        Assert.NotNull(created.Metadata.CreationTimestamp);

        var read = await _client.CoreV1.ReadNamespacedConfigMapAsync("app", ns);
        Assert.Equal("v", read.Data["k"]);
        read.Data["k"] = "v2";
        var replaced = await _client.CoreV1.ReplaceNamespacedConfigMapAsync(read, "app", ns);
        Assert.True(long.Parse(replaced.Metadata.ResourceVersion) > long.Parse(created.Metadata.ResourceVersion));

        // A replace from the stale object is refused: 409.
        var stale = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReplaceNamespacedConfigMapAsync(read, "app", ns));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, stale.Response.StatusCode);

        await _client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "other" } }, ns);
        var web = await _client.CoreV1.ListNamespacedConfigMapAsync(ns, labelSelector: "tier=web");
        Assert.Equal(["app"], web.Items.Select(i => i.Metadata.Name));
        Assert.Equal(2, (await _client.CoreV1.ListNamespacedConfigMapAsync(ns)).Items.Count);

        await _client.CoreV1.DeleteNamespacedConfigMapAsync("app", ns);
        var gone = await Assert.ThrowsAsync<HttpOperationException>(() => _client.CoreV1.ReadNamespacedConfigMapAsync("app", ns));
        Assert.Equal(System.Net.HttpStatusCode.NotFound, gone.Response.StatusCode);
    }

    [Fact]
    public async Task Deployment_and_pod_typed_round_trip()
    {
        var ns = await NamespaceAsync();
        var labels = new Dictionary<string, string> { ["app"] = "api" };
        var deployment = await _client.AppsV1.CreateNamespacedDeploymentAsync(new V1Deployment
        {
            Metadata = new V1ObjectMeta { Name = "api" },
            Spec = new V1DeploymentSpec
            {
                Replicas = 2,
                Selector = new V1LabelSelector { MatchLabels = labels },
                Template = new V1PodTemplateSpec
                {
                    Metadata = new V1ObjectMeta { Labels = labels },
                    Spec = new V1PodSpec { Containers = [new V1Container { Name = "api", Image = "nginx:1.25", Ports = [new V1ContainerPort { ContainerPort = 80 }] }] },
                },
            },
        }, ns);
        Assert.Equal(1, deployment.Metadata.Generation);
        Assert.Equal(80, deployment.Spec.Template.Spec.Containers[0].Ports[0].ContainerPort);

        var pod = await _client.CoreV1.CreateNamespacedPodAsync(new V1Pod
        {
            Metadata = new V1ObjectMeta { Name = "p" },
            Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox", Command = ["sleep", "3600"] }] },
        }, ns);
        Assert.Equal("Pending", pod.Status.Phase);
        Assert.Equal("Always", pod.Spec.RestartPolicy);
        Assert.Equal(["sleep", "3600"], (await _client.CoreV1.ReadNamespacedPodAsync("p", ns)).Spec.Containers[0].Command);
        var pods = await _client.CoreV1.ListPodForAllNamespacesAsync(fieldSelector: $"metadata.namespace={ns}");
        Assert.Equal(["p"], pods.Items.Select(p => p.Metadata.Name));
    }

    [Fact]
    public async Task Watch_delivers_added_modified_deleted()
    {
        var ns = await NamespaceAsync();
        var list = await _client.CoreV1.ListNamespacedSecretAsync(ns);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var seen = new List<(WatchEventType, string)>();
        var watching = Task.Run(async () =>
        {
            await foreach (var (type, item) in _client.CoreV1.WatchListNamespacedSecretAsync(ns, resourceVersion: list.Metadata.ResourceVersion, cancellationToken: cts.Token))
            {
                seen.Add((type, item.Metadata.Name));
                if (type == WatchEventType.Deleted)
                {
                    return;
                }
            }
        }, cts.Token);

        await _client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, StringData = new Dictionary<string, string> { ["password"] = "x" } }, ns);
        var s = await _client.CoreV1.ReadNamespacedSecretAsync("s", ns);
        s.Metadata.Labels = new Dictionary<string, string> { ["rotated"] = "yes" };
        await _client.CoreV1.ReplaceNamespacedSecretAsync(s, "s", ns);
        await _client.CoreV1.DeleteNamespacedSecretAsync("s", ns);
        await watching;
        Assert.Equal([(WatchEventType.Added, "s"), (WatchEventType.Modified, "s"), (WatchEventType.Deleted, "s")], seen);
    }

    /// <summary>
    /// A scheduler's bind (pods/binding): the pod gets its node, the binding's annotations and PodScheduled=True
    /// in one write, once; the refusals are kube-apiserver's, in its codes and words.
    /// </summary>
    [Fact]
    public async Task Pod_binding_puts_an_unscheduled_pod_on_a_node_once()
    {
        var ns = await NamespaceAsync();
        var pod = await _client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod { Metadata = new V1ObjectMeta { Name = "web" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] } }, ns);
        Assert.Null(pod.Spec.NodeName);

        V1Binding Binding(string name, string? node, string? kind = "Node") => new()
        {
            Metadata = new V1ObjectMeta { Name = name, Annotations = new Dictionary<string, string> { ["example.com/chosen-by"] = "test" } },
            Target = new V1ObjectReference { Kind = kind, Name = node },
        };

        await _client.CoreV1.CreateNamespacedPodBindingAsync(Binding("web", "node-a"), "web", ns);
        var bound = await _client.CoreV1.ReadNamespacedPodAsync("web", ns);
        Assert.Equal("node-a", bound.Spec.NodeName);
        Assert.Equal("test", bound.Metadata.Annotations["example.com/chosen-by"]);
        var scheduled = Assert.Single(bound.Status.Conditions, c => c.Type == "PodScheduled");
        Assert.Equal("True", scheduled.Status);
        Assert.NotNull(scheduled.LastTransitionTime);
        Assert.True(long.Parse(bound.Metadata.ResourceVersion) > long.Parse(pod.Metadata.ResourceVersion));

        async Task<(int Code, string Message)> Refused(Func<Task> call)
        {
            var e = await Assert.ThrowsAsync<HttpOperationException>(call);
            return ((int)e.Response.StatusCode, System.Text.Json.Nodes.JsonNode.Parse(e.Response.Content)!["message"]!.GetValue<string>());
        }

        var again = await Refused(() => _client.CoreV1.CreateNamespacedPodBindingAsync(Binding("web", "node-b"), "web", ns));
        Assert.Equal(409, again.Code);
        Assert.Equal("Operation cannot be fulfilled on pods/binding \"web\": pod web is already assigned to node \"node-a\"", again.Message);
        Assert.Equal("node-a", (await _client.CoreV1.ReadNamespacedPodAsync("web", ns)).Spec.NodeName);

        var renamed = await Refused(() => _client.CoreV1.CreateNamespacedPodBindingAsync(Binding("other", "node-b"), "web", ns));
        Assert.Equal(400, renamed.Code);
        Assert.Equal("name in URL does not match name in Binding object", renamed.Message);

        var missing = await Refused(() => _client.CoreV1.CreateNamespacedPodBindingAsync(Binding("nope", "node-b"), "nope", ns));
        Assert.Equal(404, missing.Code);
        Assert.Equal("pods \"nope\" not found", missing.Message);

        await _client.CoreV1.CreateNamespacedPodAsync(
            new V1Pod { Metadata = new V1ObjectMeta { Name = "later" }, Spec = new V1PodSpec { Containers = [new V1Container { Name = "c", Image = "busybox" }] } }, ns);
        var noName = await Refused(() => _client.CoreV1.CreateNamespacedPodBindingAsync(Binding("later", null), "later", ns));
        Assert.Equal(500, noName.Code);
        Assert.Equal("target.name: Required value", noName.Message);
        var notNode = await Refused(() => _client.CoreV1.CreateNamespacedPodBindingAsync(Binding("later", "x", kind: "Service"), "later", ns));
        Assert.StartsWith("target.kind: Unsupported value: \"Service\"", notNode.Message);
        Assert.Null((await _client.CoreV1.ReadNamespacedPodAsync("later", ns)).Spec.NodeName);

        var core = await _client.CoreV1.GetAPIResourcesAsync();
        var binding = Assert.Single(core.Resources, r => r.Name == "pods/binding");
        Assert.Equal("Binding", binding.Kind);
        Assert.Equal(["create"], binding.Verbs);
    }
}

[Trait("Store", "embedded")]
public sealed class KubernetesClientOnEmbeddedStore(EmbeddedApiServer f) : KubernetesClientTests(f), IClassFixture<EmbeddedApiServer>;

[Trait("Store", "etcd")]
public sealed class KubernetesClientOnEtcd(EtcdApiServer f) : KubernetesClientTests(f), IClassFixture<EtcdApiServer>;
