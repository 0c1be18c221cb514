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
}

[Trait("Store", "embedded")]
public sealed class KubernetesClientOnEmbeddedStore(EmbeddedApiServer f) : KubernetesClientTests(f), IClassFixture<EmbeddedApiServer>;

[Trait("Store", "etcd")]
public sealed class KubernetesClientOnEtcd(EtcdApiServer f) : KubernetesClientTests(f), IClassFixture<EtcdApiServer>;
