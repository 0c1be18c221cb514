using System.Net;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Http;

/// <summary>
/// The REST API's contract at the HTTP level: Status errors with Kubernetes' reasons and codes,
/// optimistic concurrency, watch resumption and its window, paging, finalizers and the status
/// subresource. Runs on the embedded store and on a real etcd 3.4.23.
/// </summary>
public abstract class RestTests(ApiServerFixture fixture) : IDisposable
{
    private readonly RestClient _rest = new(fixture.Server);

    public void Dispose() => _rest.Dispose();

    private static void AssertStatus(HttpStatusCode expected, string reason, (HttpStatusCode Code, JsonObject Body) r)
    {
        Assert.True(r.Code == expected, $"{r.Code}: {r.Body.ToJsonString()}");
        Assert.Equal("Status", r.Body["kind"]?.GetValue<string>());
        Assert.Equal("Failure", r.Body["status"]?.GetValue<string>());
        Assert.Equal(reason, r.Body["reason"]?.GetValue<string>());
        Assert.Equal((int)expected, r.Body["code"]?.GetValue<int>());
    }

    /// <summary>A field given twice: Strict refuses it with its path; otherwise the last value wins.</summary>
    [Fact]
    public async Task Duplicate_fields_are_refused_under_strict_validation_and_last_wins_otherwise()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var cms = $"/api/v1/namespaces/{ns}/configmaps";
        const string body = """{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup"},"data":{"a":"1","a":"2"}}""";
        var strict = await _rest.SendAsync(HttpMethod.Post, cms + "?fieldValidation=Strict", body);
        AssertStatus(HttpStatusCode.BadRequest, "BadRequest", strict);
        Assert.Equal("ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: duplicate field \"data.a\"", strict.Body["message"]?.GetValue<string>());

        var lax = await _rest.SendAsync(HttpMethod.Post, cms + "?fieldValidation=Ignore", body);
        Assert.True(lax.Code == HttpStatusCode.Created, lax.Body.ToJsonString());
        Assert.Equal("2", (await _rest.GetAsync(cms + "/dup")).Body["data"]?["a"]?.GetValue<string>());
    }

    [Fact]
    public async Task Bad_requests_get_status_bodies_and_the_server_stays_up()
    {
        using var anonymous = new RestClient(fixture.Server, authenticated: false);
        AssertStatus(HttpStatusCode.Unauthorized, "Unauthorized", await anonymous.GetAsync("/api/v1/namespaces"));
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(HttpMethod.Get, "/version")).Code);

        var ns = await _rest.CreateNamespaceAsync();
        var cms = $"/api/v1/namespaces/{ns}/configmaps";
        AssertStatus(HttpStatusCode.BadRequest, "BadRequest", await _rest.SendAsync(HttpMethod.Post, cms, "{\"metadata\": {\"name\": \"x\""));
        AssertStatus(HttpStatusCode.BadRequest, "BadRequest", await _rest.SendAsync(HttpMethod.Post, cms, "[1,2,3]"));
        AssertStatus(HttpStatusCode.BadRequest, "BadRequest", await _rest.PostAsync(cms, new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Secret", ["metadata"] = new JsonObject { ["name"] = "x" } }));
        AssertStatus(HttpStatusCode.BadRequest, "BadRequest", await _rest.PostAsync(cms, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "x", ["labels"] = new JsonObject { ["a"] = 5 } } }));
        AssertStatus(HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLarge", await _rest.PostAsync(cms, RestClient.ConfigMap("big", "blob", new string('x', 3_200_000))));
        AssertStatus(HttpStatusCode.UnsupportedMediaType, "UnsupportedMediaType", await _rest.SendAsync(HttpMethod.Post, cms, "a=b", "text/plain"));
        AssertStatus(HttpStatusCode.NotFound, "NotFound", await _rest.GetAsync($"/api/v1/namespaces/{ns}/widgets"));
        AssertStatus(HttpStatusCode.NotFound, "NotFound", await _rest.GetAsync("/apis/nosuch.example.com/v1/things"));
        AssertStatus(HttpStatusCode.MethodNotAllowed, "MethodNotAllowed", await _rest.PutAsync(cms, RestClient.ConfigMap("x")));
        var missing = await _rest.GetAsync($"{cms}/nothing-here");
        AssertStatus(HttpStatusCode.NotFound, "NotFound", missing);
        Assert.Equal("configmaps \"nothing-here\" not found", missing.Body["message"]?.GetValue<string>());
        var invalid = await _rest.PostAsync(cms, RestClient.ConfigMap("UPPER"));
        AssertStatus((HttpStatusCode)422, "Invalid", invalid);
        Assert.Equal("metadata.name", invalid.Body["details"]?["causes"]?[0]?["field"]?.GetValue<string>());

        Assert.Equal(HttpStatusCode.Created, (await _rest.PostAsync(cms, RestClient.ConfigMap("after"))).Code);
    }

    [Fact]
    public async Task Two_writers_from_one_resource_version_one_wins_the_other_gets_409()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var (_, created) = await _rest.PostAsync(path, RestClient.ConfigMap("shared", "owner", "none"));
        var first = (JsonObject)created.DeepClone();
        var second = (JsonObject)created.DeepClone();
        first["data"]!["owner"] = "first";
        second["data"]!["owner"] = "second";
        var results = await Task.WhenAll(_rest.PutAsync($"{path}/shared", first), _rest.PutAsync($"{path}/shared", second));

        Assert.Single(results, r => r.Code == HttpStatusCode.OK);
        var loser = Assert.Single(results, r => r.Code == HttpStatusCode.Conflict);
        AssertStatus(HttpStatusCode.Conflict, "Conflict", loser);
        Assert.Equal("Operation cannot be fulfilled on configmaps \"shared\": the object has been modified; please apply your changes to the latest version and try again", loser.Body["message"]?.GetValue<string>());
        var winner = results.Single(r => r.Code == HttpStatusCode.OK).Body["data"]!["owner"]!.GetValue<string>();
        Assert.Equal(winner, (await _rest.GetAsync($"{path}/shared")).Body["data"]!["owner"]!.GetValue<string>());
    }

    [Fact]
    public async Task Concurrent_patches_without_a_resource_version_lose_nothing()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps/counter";
        await _rest.PostAsync($"/api/v1/namespaces/{ns}/configmaps", RestClient.ConfigMap("counter"));
        var patches = Enumerable.Range(0, 20).Select(i => _rest.MergePatchAsync(path, $"{{\"data\":{{\"key{i}\":\"{i}\"}}}}"));
        Assert.All(await Task.WhenAll(patches), r => Assert.Equal(HttpStatusCode.OK, r.Code));
        var data = (await _rest.GetAsync(path)).Body["data"]!.AsObject();
        Assert.Equal(21, data.Count);
    }

    [Fact]
    public async Task Watch_resumes_from_any_resource_version_in_the_window_without_gaps_or_duplicates()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var (_, created) = await _rest.PostAsync(path, RestClient.ConfigMap("w"));
        var start = created["metadata"]!["resourceVersion"]!.GetValue<string>();
        var versions = new List<string>();
        for (var i = 0; i < 10; i++)
        {
            var (_, updated) = await _rest.MergePatchAsync($"{path}/w", $"{{\"data\":{{\"k\":\"v{i}\"}}}}");
            versions.Add(updated["metadata"]!["resourceVersion"]!.GetValue<string>());
        }

        var (_, deleted) = await _rest.SendAsync(HttpMethod.Delete, $"{path}/w");
        Assert.Equal("w", deleted["details"]?["name"]?.GetValue<string>());

        var all = await _rest.WatchAsync(path, $"resourceVersion={start}&timeoutSeconds=2");
        Assert.Equal([.. Enumerable.Repeat("MODIFIED", 10), "DELETED"], all.Select(e => e["type"]!.GetValue<string>()));
        Assert.Equal(versions, all.Take(10).Select(e => e["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()));
        Assert.Equal("v9", all[9]["object"]!["data"]!["k"]!.GetValue<string>());

        var fromMiddle = await _rest.WatchAsync(path, $"resourceVersion={versions[4]}&timeoutSeconds=2");
        Assert.Equal(versions[5..], fromMiddle.Take(5).Select(e => e["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()));
        Assert.Equal(6, fromMiddle.Count);
    }

    /// <summary>
    /// kubectl get -w and client-go lists without a resourceVersion (a consistent read, at the store's
    /// revision), then watch from there: the resource's cache must accept that revision even when the
    /// last write was to another resource, and the watch's headers must arrive before any event.
    /// </summary>
    [Fact]
    public async Task Watch_from_a_consistent_list_after_writes_elsewhere_starts_at_once()
    {
        var ns = await _rest.CreateNamespaceAsync();
        await _rest.PostAsync($"/api/v1/namespaces/{ns}/configmaps", RestClient.ConfigMap("elsewhere"));
        var (_, list) = await _rest.GetAsync($"/api/v1/namespaces/{ns}/serviceaccounts");
        var rv = list["metadata"]!["resourceVersion"]!.GetValue<string>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        using var http = fixture.Server.Http();
        using var response = await http.GetAsync($"/api/v1/namespaces/{ns}/serviceaccounts?watch=1&resourceVersion={rv}&timeoutSeconds=5", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // A watch that waited for its revision would answer at the timeout (5 s): well under it is "at once".
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(4), $"headers after {started.Elapsed}");
        await _rest.PostAsync($"/api/v1/namespaces/{ns}/serviceaccounts", new JsonObject { ["metadata"] = new JsonObject { ["name"] = "robot" } });
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var first = JsonNode.Parse((await reader.ReadLineAsync())!)!;
        Assert.Equal("ADDED", first["type"]!.GetValue<string>());
        Assert.Equal("robot", first["object"]!["metadata"]!["name"]!.GetValue<string>());
    }

    [Fact]
    public async Task Consistent_lists_read_every_acknowledged_write_and_a_current_revision()
    {
        // Consistent lists (no resourceVersion, no limit) come from the watch cache once it has caught
        // up with the store's current revision: every write acknowledged before the list is in it, and
        // its resourceVersion is not older than any of them, even when the last change was to another kind.
        var ns = await _rest.CreateNamespaceAsync();
        var cms = $"/api/v1/namespaces/{ns}/configmaps";
        for (var i = 0; i < 25; i++)
        {
            var (code, created) = await _rest.PostAsync(cms, RestClient.ConfigMap($"cm-{i}"));
            Assert.Equal(HttpStatusCode.Created, code);
            var (_, other) = await _rest.PostAsync($"/api/v1/namespaces/{ns}/secrets", new JsonObject { ["metadata"] = new JsonObject { ["name"] = $"s-{i}" } });
            var otherRv = long.Parse(other["metadata"]!["resourceVersion"]!.GetValue<string>());

            var (_, list) = await _rest.GetAsync(cms);
            var names = list["items"]!.AsArray().Select(o => o!["metadata"]!["name"]!.GetValue<string>()).ToHashSet();
            Assert.Equal(i + 1, names.Count);
            Assert.Contains($"cm-{i}", names);
            Assert.True(long.Parse(list["metadata"]!["resourceVersion"]!.GetValue<string>()) >= otherRv, $"list rv {list["metadata"]!["resourceVersion"]} older than write {otherRv}");
            Assert.Equal(created["metadata"]!["resourceVersion"]!.GetValue<string>(), list["items"]!.AsArray().Single(o => o!["metadata"]!["name"]!.GetValue<string>() == $"cm-{i}")!["metadata"]!["resourceVersion"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task Watch_below_the_window_gets_410_expired()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/secrets";
        var (_, created) = await _rest.PostAsync(path, new JsonObject { ["metadata"] = new JsonObject { ["name"] = "s" } });
        var start = created["metadata"]!["resourceVersion"]!.GetValue<string>();
        for (var i = 0; i < 60; i++)
        {
            // The fixture keeps 50 events per resource: 60 changes push the start out of the window.
            await _rest.MergePatchAsync($"{path}/s", $"{{\"stringData\":null,\"metadata\":{{\"labels\":{{\"n\":\"{i}\"}}}}}}");
        }

        var events = await _rest.WatchAsync(path, $"resourceVersion={start}&timeoutSeconds=2");
        var error = Assert.Single(events);
        Assert.Equal("ERROR", error["type"]!.GetValue<string>());
        Assert.Equal(410, error["object"]!["code"]!.GetValue<int>());
        Assert.Equal("Expired", error["object"]!["reason"]!.GetValue<string>());
        Assert.StartsWith($"too old resource version: {start} (", error["object"]!["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Watch_with_bookmarks_and_a_selector()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var watch = _rest.WatchAsync(path, "labelSelector=team%3Dblue&allowWatchBookmarks=true&timeoutSeconds=4");
        await Task.Delay(500);
        var cm = RestClient.ConfigMap("moves");
        await _rest.PostAsync(path, cm);
        await _rest.MergePatchAsync($"{path}/moves", "{\"metadata\":{\"labels\":{\"team\":\"blue\"}}}");
        await _rest.MergePatchAsync($"{path}/moves", "{\"data\":{\"k\":\"v2\"}}");
        var (_, last) = await _rest.MergePatchAsync($"{path}/moves", "{\"metadata\":{\"labels\":{\"team\":\"red\"}}}");
        var events = await watch;

        // Out of the selector, into it (ADDED), changed in it (MODIFIED), out again (DELETED).
        var changes = events.Where(e => e["type"]!.GetValue<string>() != "BOOKMARK").Select(e => e["type"]!.GetValue<string>()).ToList();
        Assert.Equal(["ADDED", "MODIFIED", "DELETED"], changes);
        var bookmarks = events.Where(e => e["type"]!.GetValue<string>() == "BOOKMARK").ToList();
        Assert.NotEmpty(bookmarks);
        Assert.True(long.Parse(bookmarks[^1]["object"]!["metadata"]!["resourceVersion"]!.GetValue<string>()) >= long.Parse(last["metadata"]!["resourceVersion"]!.GetValue<string>()));
    }

    [Fact]
    public async Task Paged_lists_read_one_snapshot()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        for (var i = 0; i < 7; i++)
        {
            await _rest.PostAsync(path, RestClient.ConfigMap($"cm-{i}"));
        }

        var (_, page1) = await _rest.GetAsync($"{path}?limit=3");
        Assert.Equal(["cm-0", "cm-1", "cm-2"], Names(page1));
        Assert.Equal(4, page1["metadata"]!["remainingItemCount"]!.GetValue<long>());
        var token = page1["metadata"]!["continue"]!.GetValue<string>();
        await _rest.PostAsync(path, RestClient.ConfigMap("cm-9"));
        var (_, page2) = await _rest.GetAsync($"{path}?limit=3&continue={Uri.EscapeDataString(token)}");
        Assert.Equal(["cm-3", "cm-4", "cm-5"], Names(page2));
        var (_, page3) = await _rest.GetAsync($"{path}?limit=3&continue={Uri.EscapeDataString(page2["metadata"]!["continue"]!.GetValue<string>())}");
        Assert.Equal(["cm-6"], Names(page3));
        Assert.Null(page3["metadata"]!["continue"]);
        Assert.Equal(page1["metadata"]!["resourceVersion"]!.GetValue<string>(), page3["metadata"]!["resourceVersion"]!.GetValue<string>());
        Assert.Equal(8, Names((await _rest.GetAsync(path)).Body).Count);
        Assert.Equal(8, Names((await _rest.GetAsync($"{path}?resourceVersion=0")).Body).Count);
        AssertStatus(HttpStatusCode.BadRequest, "BadRequest", await _rest.GetAsync($"{path}?limit=3&continue=not-a-token"));
    }

    [Fact]
    public async Task Finalizers_hold_a_deleted_object_until_the_last_one_is_removed()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/configmaps";
        var cm = RestClient.ConfigMap("held");
        cm["metadata"]!["finalizers"] = new JsonArray("example.com/a", "example.com/b");
        await _rest.PostAsync(path, cm);
        var (code, marked) = await _rest.SendAsync(HttpMethod.Delete, $"{path}/held");
        Assert.Equal(HttpStatusCode.OK, code);
        Assert.NotNull(marked["metadata"]!["deletionTimestamp"]);
        Assert.Equal(HttpStatusCode.OK, (await _rest.GetAsync($"{path}/held")).Code);
        await _rest.MergePatchAsync($"{path}/held", "{\"metadata\":{\"finalizers\":[\"example.com/b\"]}}");
        Assert.Equal(HttpStatusCode.OK, (await _rest.GetAsync($"{path}/held")).Code);
        await _rest.MergePatchAsync($"{path}/held", "{\"metadata\":{\"finalizers\":null}}");
        AssertStatus(HttpStatusCode.NotFound, "NotFound", await _rest.GetAsync($"{path}/held"));
    }

    [Fact]
    public async Task Status_subresource_and_generation()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var path = $"/apis/apps/v1/namespaces/{ns}/deployments";
        var deployment = (JsonObject)JsonNode.Parse("""
            {"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"d"},
             "spec":{"replicas":1,"selector":{"matchLabels":{"app":"d"}},
                     "template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"nginx"}]}}},
             "status":{"replicas":99}}
            """)!;
        var (code, created) = await _rest.PostAsync(path, deployment);
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Null(created["status"]?["replicas"]);
        Assert.Equal(1, created["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal("RollingUpdate", created["spec"]!["strategy"]!["type"]!.GetValue<string>());
        Assert.Equal("25%", created["spec"]!["strategy"]!["rollingUpdate"]!["maxSurge"]!.GetValue<string>());
        Assert.Equal(10, created["spec"]!["revisionHistoryLimit"]!.GetValue<int>());
        Assert.Equal("Always", created["spec"]!["template"]!["spec"]!["restartPolicy"]!.GetValue<string>());

        var withStatus = (JsonObject)created.DeepClone();
        withStatus["status"] = new JsonObject { ["replicas"] = 1, ["readyReplicas"] = 1 };
        withStatus["spec"]!["replicas"] = 5;
        var (_, afterStatus) = await _rest.PutAsync($"{path}/d/status", withStatus);
        Assert.Equal(1, afterStatus["status"]!["readyReplicas"]!.GetValue<int>());
        Assert.Equal(1, afterStatus["spec"]!["replicas"]!.GetValue<int>());
        Assert.Equal(1, afterStatus["metadata"]!["generation"]!.GetValue<long>());

        var (_, relabeled) = await _rest.MergePatchAsync($"{path}/d", "{\"metadata\":{\"labels\":{\"x\":\"y\"}},\"status\":{\"readyReplicas\":7}}");
        Assert.Equal(1, relabeled["metadata"]!["generation"]!.GetValue<long>());
        Assert.Equal(1, relabeled["status"]!["readyReplicas"]!.GetValue<int>());
        var (_, scaled) = await _rest.MergePatchAsync($"{path}/d", "{\"spec\":{\"replicas\":3}}");
        Assert.Equal(2, scaled["metadata"]!["generation"]!.GetValue<long>());
        var immutable = await _rest.MergePatchAsync($"{path}/d", "{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"other\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"other\"}}}}}");
        AssertStatus((HttpStatusCode)422, "Invalid", immutable);
        Assert.Contains("field is immutable", immutable.Body["message"]!.GetValue<string>());
    }

    [Fact]
    public async Task Services_get_cluster_ips_and_node_ports_without_conflicts_and_release_them()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var path = $"/api/v1/namespaces/{ns}/services";
        static JsonObject Service(string name, string? ip = null, int? nodePort = null) => new()
        {
            ["metadata"] = new JsonObject { ["name"] = name },
            ["spec"] = new JsonObject
            {
                ["type"] = nodePort is null ? "ClusterIP" : "NodePort",
                ["clusterIP"] = ip,
                ["ports"] = new JsonArray(new JsonObject { ["port"] = 80, ["nodePort"] = nodePort == 0 ? null : nodePort }),
            },
        };

        var kubernetes = (await _rest.GetAsync("/api/v1/namespaces/default/services/kubernetes")).Body;
        Assert.Equal("10.96.0.1", kubernetes["spec"]!["clusterIP"]!.GetValue<string>());

        var (code, a) = await _rest.PostAsync(path, Service("a"));
        Assert.Equal(HttpStatusCode.Created, code);
        var ip = a["spec"]!["clusterIP"]!.GetValue<string>();
        Assert.True(System.Net.IPNetwork.Parse("10.96.0.0/12").Contains(System.Net.IPAddress.Parse(ip)), ip);
        Assert.Equal("TCP", a["spec"]!["ports"]![0]!["protocol"]!.GetValue<string>());
        Assert.Equal(80, a["spec"]!["ports"]![0]!["targetPort"]!.GetValue<int>());

        var sameIp = await _rest.PostAsync(path, Service("b", ip));
        AssertStatus((HttpStatusCode)422, "Invalid", sameIp);
        Assert.Contains("provided IP is already allocated", sameIp.Body["message"]!.GetValue<string>());
        var outside = await _rest.PostAsync(path, Service("b", "192.168.1.1"));
        AssertStatus((HttpStatusCode)422, "Invalid", outside);
        Assert.Contains("is not in the valid range", outside.Body["message"]!.GetValue<string>());

        var port = 30000 + Random.Shared.Next(2000);
        var (_, np) = await _rest.PostAsync(path, Service("np", nodePort: port));
        Assert.Equal(port, np["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>());
        var samePort = await _rest.PostAsync(path, Service("np2", nodePort: port));
        AssertStatus((HttpStatusCode)422, "Invalid", samePort);
        Assert.Contains("provided port is already allocated", samePort.Body["message"]!.GetValue<string>());
        var (_, auto) = await _rest.PostAsync(path, Service("auto", nodePort: 0));
        Assert.InRange(auto["spec"]!["ports"]![0]!["nodePort"]!.GetValue<int>(), 30000, 32767);

        // An update that leaves the allocations out keeps them; one that changes the clusterIP is refused.
        var (_, relabeled) = await _rest.PutAsync($"{path}/a", Service("a"));
        Assert.Equal(ip, relabeled["spec"]!["clusterIP"]!.GetValue<string>());
        AssertStatus((HttpStatusCode)422, "Invalid", await _rest.PutAsync($"{path}/a", Service("a", "10.96.0.99")));

        // Deleting releases: the address and the port can be taken again.
        await _rest.SendAsync(HttpMethod.Delete, $"{path}/a");
        await _rest.SendAsync(HttpMethod.Delete, $"{path}/np");
        Assert.Equal(HttpStatusCode.Created, (await _rest.PostAsync(path, Service("b", ip))).Code);
        Assert.Equal(HttpStatusCode.Created, (await _rest.PostAsync(path, Service("np2", nodePort: port))).Code);
    }

    [Fact]
    public async Task Horizontal_pod_autoscalers_are_one_object_in_two_versions()
    {
        var ns = await _rest.CreateNamespaceAsync();
        var v1 = (JsonObject)JsonNode.Parse("""
            {"apiVersion":"autoscaling/v1","kind":"HorizontalPodAutoscaler","metadata":{"name":"web"},
             "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"minReplicas":1,"maxReplicas":5,"targetCPUUtilizationPercentage":70}}
            """)!;
        var (code, created) = await _rest.PostAsync($"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers", v1);
        Assert.Equal(HttpStatusCode.Created, code);
        Assert.Equal("autoscaling/v1", created["apiVersion"]!.GetValue<string>());
        Assert.Equal(70, created["spec"]!["targetCPUUtilizationPercentage"]!.GetValue<int>());

        var (_, v2) = await _rest.GetAsync($"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/web");
        Assert.Equal("autoscaling/v2", v2["apiVersion"]!.GetValue<string>());
        var metric = v2["spec"]!["metrics"]![0]!;
        Assert.Equal("cpu", metric["resource"]!["name"]!.GetValue<string>());
        Assert.Equal(70, metric["resource"]!["target"]!["averageUtilization"]!.GetValue<int>());
        Assert.Null(v2["spec"]!["targetCPUUtilizationPercentage"]);

        await _rest.MergePatchAsync($"/apis/autoscaling/v2/namespaces/{ns}/horizontalpodautoscalers/web",
            "{\"spec\":{\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\",\"averageUtilization\":55}}}]}}");
        var (_, back) = await _rest.GetAsync($"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers/web");
        Assert.Equal(55, back["spec"]!["targetCPUUtilizationPercentage"]!.GetValue<int>());
        var (_, listed) = await _rest.GetAsync($"/apis/autoscaling/v1/namespaces/{ns}/horizontalpodautoscalers");
        Assert.Equal(55, listed["items"]![0]!["spec"]!["targetCPUUtilizationPercentage"]!.GetValue<int>());
    }

    private static List<string> Names(JsonObject list) =>
        [.. list["items"]!.AsArray().Select(i => i!["metadata"]!["name"]!.GetValue<string>())];
}

[Trait("Store", "embedded")]
public sealed class RestOnEmbeddedStore(EmbeddedApiServer f) : RestTests(f), IClassFixture<EmbeddedApiServer>;

[Trait("Store", "etcd")]
public sealed class RestOnEtcd(EtcdApiServer f) : RestTests(f), IClassFixture<EtcdApiServer>;
