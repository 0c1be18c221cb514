using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Tests.Http;
using KvCluster.ApiServer.Tests.Infra;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Kubelet;

/// <summary>
/// Deleting a pod on a node marks it (deletionTimestamp = now + grace) until its node deletes it with
/// grace 0, as Kubernetes does; the test plays the node.
/// </summary>
[Collection("kubelet")]
public sealed class GracefulDeletionTests(KubeletFixture fixture) : IDisposable
{
    private readonly Infra.Kubectl _k = new(fixture.Server);
    private readonly RestClient _rest = new(fixture.Server);
    private readonly HttpClient _http = fixture.Server.Http();

    public void Dispose()
    {
        _k.Dispose();
        _rest.Dispose();
        _http.Dispose();
    }

    private async Task<JsonObject> CreateAsync(string ns, JsonObject pod)
    {
        var (code, body) = await _rest.PostAsync($"/api/v1/namespaces/{ns}/pods", pod);
        Assert.True(code == HttpStatusCode.Created, body.ToJsonString());
        return body;
    }

    private Task<(HttpStatusCode Code, JsonObject Body)> DeleteAsync(string ns, string name, JsonObject? options = null) =>
        _rest.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/pods/{name}", options?.ToJsonString());

    /// <summary>The node's delete once its containers are stopped: grace 0, for this pod only (its uid).</summary>
    private static JsonObject NodeDelete(JsonObject pod) => new()
    {
        ["gracePeriodSeconds"] = 0,
        ["preconditions"] = new JsonObject { ["uid"] = pod["metadata"]!["uid"]!.GetValue<string>() },
    };

    private static (DateTimeOffset At, long Grace) Mark(JsonObject pod) => (
        DateTimeOffset.Parse(pod["metadata"]!["deletionTimestamp"]!.GetValue<string>(), CultureInfo.InvariantCulture),
        pod["metadata"]!["deletionGracePeriodSeconds"]!.GetValue<long>());

    [Fact]
    public async Task A_bound_pod_is_marked_its_grace_only_shortens_and_the_nodes_delete_removes_it()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var events = WatchAsync(ns, 4);
        await Task.Delay(300);
        var pod = await CreateAsync(ns, KubeletFixture.Pod("web", fixture.NodeName, "main"));
        var before = DateTimeOffset.UtcNow;

        var (code, marked) = await DeleteAsync(ns, "web");
        Assert.Equal(HttpStatusCode.OK, code);
        var (at, grace) = Mark(marked);
        Assert.Equal(30, grace);
        Assert.InRange(at, before.AddSeconds(28), before.AddSeconds(32));
        Assert.Equal(HttpStatusCode.OK, (await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/web")).Code);

        // Longer is ignored; shorter moves the deadline with it.
        var (_, same) = await DeleteAsync(ns, "web", new JsonObject { ["gracePeriodSeconds"] = 60 });
        Assert.Equal((at, 30), Mark(same));
        var (_, shorter) = await _rest.SendAsync(HttpMethod.Delete, $"/api/v1/namespaces/{ns}/pods/web?gracePeriodSeconds=10");
        Assert.Equal((at.AddSeconds(-20), 10), Mark(shorter));

        var wrongUid = NodeDelete(pod);
        wrongUid["preconditions"]!["uid"] = Guid.NewGuid().ToString();
        Assert.Equal(HttpStatusCode.Conflict, (await DeleteAsync(ns, "web", wrongUid)).Code);
        var (gone, last) = await DeleteAsync(ns, "web", NodeDelete(pod));
        Assert.Equal(HttpStatusCode.OK, gone);
        Assert.Equal("web", last["metadata"]?["name"]?.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/web")).Code);

        var seen = await events;
        Assert.Equal(["ADDED", "MODIFIED", "MODIFIED", "DELETED"], seen.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal(30, Mark((JsonObject)seen[1]["object"]!).Grace);
        Assert.Equal(10, Mark((JsonObject)seen[2]["object"]!).Grace);
    }

    [Fact]
    public async Task Unbound_finished_and_forced_pods_go_at_once()
    {
        var ns = await _rest.CreateNamespaceAsync();
        await CreateAsync(ns, KubeletFixture.Pod("unbound", null, "main"));
        Assert.Equal(HttpStatusCode.OK, (await DeleteAsync(ns, "unbound")).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/unbound")).Code);

        var done = await CreateAsync(ns, KubeletFixture.Pod("done", fixture.NodeName, "main"));
        done["status"] = new JsonObject { ["phase"] = "Succeeded" };
        Assert.Equal(HttpStatusCode.OK, (await _rest.PutAsync($"/api/v1/namespaces/{ns}/pods/done/status", done)).Code);
        Assert.Equal(HttpStatusCode.OK, (await DeleteAsync(ns, "done")).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/done")).Code);

        await CreateAsync(ns, KubeletFixture.Pod("forced", fixture.NodeName, "main"));
        var forced = await _k.RunAsync($"-n {ns} delete pod forced --force --grace-period=0");
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Contains("pod \"forced\" force deleted", forced.Stdout);
        Assert.Equal(HttpStatusCode.NotFound, (await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/forced")).Code);
    }

    [Fact]
    public async Task Kubectl_delete_returns_once_the_node_has_deleted_the_pod()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var pod = await CreateAsync(ns, KubeletFixture.Pod("slow", fixture.NodeName, "main"));
        var (process, output) = _k.Start($"-n {ns} delete pod slow");
        try
        {
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while ((await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/slow")).Body["metadata"]?["deletionTimestamp"] is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "the pod was never marked");
                await Task.Delay(50);
            }

            await Task.Delay(1000);
            Assert.False(process.HasExited, "kubectl delete returned while the pod was still terminating");
            Assert.Equal(HttpStatusCode.OK, (await DeleteAsync(ns, "slow", NodeDelete(pod))).Code);
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exited.Token);
            Assert.Equal(0, process.ExitCode);
            lock (output)
            {
                Assert.Contains("pod \"slow\" deleted", output.ToString());
            }
        }
        finally
        {
            Processes.Kill(process);
            process.Dispose();
        }
    }

    [Fact]
    public async Task Finalizers_keep_a_terminating_pod_until_both_the_node_and_its_finalizers_are_done()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var hold = new JsonObject { ["finalizers"] = new JsonArray("example.com/hold") };

        // Finalizer removed first: the pod still waits for its node.
        var first = KubeletFixture.Pod("first", fixture.NodeName, "main");
        first["metadata"]!["finalizers"] = hold["finalizers"]!.DeepClone();
        first = await CreateAsync(ns, first);
        Assert.Equal(30, Mark((await DeleteAsync(ns, "first")).Body).Grace);
        Assert.Equal(HttpStatusCode.OK, (await _rest.MergePatchAsync($"/api/v1/namespaces/{ns}/pods/first", """{"metadata":{"finalizers":null}}""")).Code);
        Assert.Equal(HttpStatusCode.OK, (await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/first")).Code);
        Assert.Equal(HttpStatusCode.OK, (await DeleteAsync(ns, "first", NodeDelete(first))).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/first")).Code);

        // Node first: grace 0, but the finalizer keeps it until removed.
        var second = KubeletFixture.Pod("second", fixture.NodeName, "main");
        second["metadata"]!["finalizers"] = hold["finalizers"]!.DeepClone();
        second = await CreateAsync(ns, second);
        await DeleteAsync(ns, "second");
        var (_, kept) = await DeleteAsync(ns, "second", NodeDelete(second));
        Assert.Equal(0, Mark(kept).Grace);
        Assert.Equal(HttpStatusCode.OK, (await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/second")).Code);
        Assert.Equal(HttpStatusCode.OK, (await _rest.MergePatchAsync($"/api/v1/namespaces/{ns}/pods/second", """{"metadata":{"finalizers":null}}""")).Code);
        Assert.Equal(HttpStatusCode.NotFound, (await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/second")).Code);
    }

    /// <summary>The first <paramref name="count"/> events of a watch on the namespace's pods.</summary>
    private async Task<List<JsonObject>> WatchAsync(string ns, int count)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        using var response = await _http.GetAsync($"/api/v1/namespaces/{ns}/pods?watch=1", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        var events = new List<JsonObject>();
        while (events.Count < count && await reader.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.Length > 0)
            {
                events.Add((JsonObject)JsonNode.Parse(line)!);
            }
        }

        return events;
    }
}
