using System.Text.Json;
using KvCluster.ApiServer.Tests.Infra;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Kubectl;

/// <summary>
/// kubectl 1.32 end to end, each command as a user types it, against an apiserver process. The same
/// tests run on the embedded store and on a real etcd 3.4.23 (the two sealed classes below).
/// </summary>
public abstract class KubectlTests(ApiServerFixture fixture) : IDisposable
{
    private readonly Infra.Kubectl _k = new(fixture.Server);

    public void Dispose() => _k.Dispose();

    private async Task<string> NewNamespaceAsync()
    {
        var ns = Names.Unique("ns");
        Assert.Contains($"namespace/{ns} created", await _k.OkAsync("create -f -", $"apiVersion: v1\nkind: Namespace\nmetadata:\n  name: {ns}\n"));
        return ns;
    }

    private static string Pod(string name, string labels) =>
        $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  labels: {{{labels}}}\nspec:\n  containers:\n  - name: main\n    image: busybox:1.36\n";

    /// <summary>kubectl apply --server-side with two field managers: ownership in managedFields, a conflict, --force-conflicts, and removal of what a manager stops applying.</summary>
    [Fact]
    public async Task Server_side_apply_with_two_managers()
    {
        var ns = await NewNamespaceAsync();
        string Alice(string image, string labels, string replicas) => $$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: {{{ns}}}
              labels: {{{labels}}}
            spec:
              {{{replicas}}}
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - {name: nginx, image: "{{{image}}}"}
            """;
        string bob = $"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: {ns}\nspec:\n  replicas: 3\n";
        async Task<JsonElement> GetAsync() => JsonDocument.Parse(await _k.OkAsync($"-n {ns} get deploy web -o json --show-managed-fields")).RootElement;
        static JsonElement Manager(JsonElement obj, string name) => obj.GetProperty("metadata").GetProperty("managedFields").EnumerateArray().Single(m => m.GetProperty("manager").GetString() == name);

        Assert.Contains("deployment.apps/web serverside-applied", await _k.OkAsync("apply --server-side --field-manager=alice -f -", Alice("nginx:1.25", "{app: web, tier: front}", "replicas: 2")));
        var created = await GetAsync();
        var alice = Manager(created, "alice");
        Assert.Equal("Apply", alice.GetProperty("operation").GetString());
        Assert.True(alice.GetProperty("fieldsV1").GetProperty("f:spec").TryGetProperty("f:replicas", out _));
        Assert.True(alice.GetProperty("fieldsV1").GetProperty("f:spec").GetProperty("f:template").GetProperty("f:spec").GetProperty("f:containers").TryGetProperty("k:{\"name\":\"nginx\"}", out _));

        var conflict = await _k.RunAsync("apply --server-side --field-manager=bob -f -", bob);
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"alice\": .spec.replicas", conflict.Stderr);
        Assert.Equal(2, (await GetAsync()).GetProperty("spec").GetProperty("replicas").GetInt32());

        await _k.OkAsync("apply --server-side --field-manager=bob --force-conflicts -f -", bob);
        var forced = await GetAsync();
        Assert.Equal(3, forced.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.True(Manager(forced, "bob").GetProperty("fieldsV1").GetProperty("f:spec").TryGetProperty("f:replicas", out _));
        Assert.False(Manager(forced, "alice").GetProperty("fieldsV1").GetProperty("f:spec").TryGetProperty("f:replicas", out _), "alice still owns spec.replicas");

        // Alice stops applying replicas (bob's now) and the tier label (only hers): the label goes, replicas stay.
        await _k.OkAsync("apply --server-side --field-manager=alice -f -", Alice("nginx:1.26", "{app: web}", ""));
        var reapplied = await GetAsync();
        Assert.Equal(3, reapplied.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.False(reapplied.GetProperty("metadata").GetProperty("labels").TryGetProperty("tier", out _), "a label its only manager stopped applying was kept");
        Assert.Equal("nginx:1.26", reapplied.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString());

        // A non-apply write takes ownership of what it changes.
        await _k.OkAsync($"-n {ns} scale deploy web --replicas=4");
        var scaled = await GetAsync();
        Assert.DoesNotContain(scaled.GetProperty("metadata").GetProperty("managedFields").EnumerateArray(), m => m.GetProperty("manager").GetString() == "bob");
        var again = await _k.RunAsync("apply --server-side --field-manager=bob -f -", bob);
        Assert.NotEqual(0, again.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl", again.Stderr);
    }

    /// <summary>kubectl --validate=strict (its default), warn and ignore: an unknown field is refused, warned about, or accepted silently; accepted, it is kept.</summary>
    [Fact]
    public async Task Field_validation_strict_warn_and_ignore()
    {
        var ns = await NewNamespaceAsync();
        string Manifest(string name) => $"apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec:\n  foo: 1\n  containers:\n  - name: main\n    image: busybox:1.36\n    colour: red\n";
        var strict = await _k.RunAsync("create -f -", Manifest("strict"));
        Assert.NotEqual(0, strict.ExitCode);
        Assert.Contains("Pod in version \"v1\" cannot be handled as a Pod: strict decoding error: unknown field \"spec.containers[0].colour\", unknown field \"spec.foo\"", strict.Stderr);
        Assert.NotEqual(0, (await _k.RunAsync($"-n {ns} get pod strict")).ExitCode);

        var warn = await _k.RunAsync("create --validate=warn -f -", Manifest("warned"));
        Assert.Equal(0, warn.ExitCode);
        Assert.Contains("Warning: unknown field \"spec.foo\"", warn.Stderr);
        Assert.Contains("Warning: unknown field \"spec.containers[0].colour\"", warn.Stderr);
        var ignore = await _k.RunAsync("create --validate=ignore -f -", Manifest("ignored"));
        Assert.Equal(0, ignore.ExitCode);
        Assert.DoesNotContain("Warning", ignore.Stderr);
        foreach (var name in new[] { "warned", "ignored" })
        {
            var spec = JsonDocument.Parse(await _k.OkAsync($"-n {ns} get pod {name} -o json")).RootElement.GetProperty("spec");
            Assert.True(spec.TryGetProperty("foo", out _), $"{name}: the unknown field was dropped");
            Assert.True(spec.GetProperty("containers")[0].TryGetProperty("colour", out _), $"{name}: the unknown container field was dropped");
        }
    }

    /// <summary>kubectl explain reads the served OpenAPI v3: a field's type and description, nested fields, and the whole tree.</summary>
    [Fact]
    public async Task Explain_shows_fields_types_and_descriptions_from_the_served_openapi()
    {
        var containers = await _k.OkAsync("explain pod.spec.containers");
        Assert.Contains("KIND:       Pod", containers);
        Assert.Contains("FIELD: containers <[]Container>", containers);
        Assert.Contains("List of containers belonging to the pod.", containers);
        Assert.Matches(@"(?m)^  image\t<string>$", containers);
        Assert.Matches(@"(?m)^  ports\t<\[\]ContainerPort>$", containers);

        var recursive = await _k.OkAsync("explain deployment --recursive");
        Assert.Contains("GROUP:      apps", recursive);
        Assert.Matches(@"(?m)^    replicas\t<integer>$", recursive);
        Assert.Matches(@"(?m)^        containers\t<\[\]Container>$", recursive);

        var unknown = await _k.RunAsync("explain pod.spec.nosuchfield");
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("field \"nosuchfield\" does not exist", unknown.Stderr);
    }

    [Fact]
    public async Task Discovery_version_api_resources_and_default_namespaces()
    {
        var version = JsonDocument.Parse(await _k.OkAsync("version -o json")).RootElement.GetProperty("serverVersion");
        Assert.Equal("32", version.GetProperty("minor").GetString());
        Assert.StartsWith("v1.32.", version.GetProperty("gitVersion").GetString());

        var resources = await _k.OkAsync("api-resources");
        Assert.Matches(@"(?m)^pods\s+po\s+v1\s+true\s+Pod\s*$", resources);
        Assert.Matches(@"(?m)^deployments\s+deploy\s+apps/v1\s+true\s+Deployment\s*$", resources);
        Assert.Matches(@"(?m)^clusterrolebindings\s+rbac.authorization.k8s.io/v1\s+false\s+ClusterRoleBinding\s*$", resources);
        Assert.Matches(@"(?m)^namespaces\s+ns\s+v1\s+false\s+Namespace\s*$", resources);
        var namespaced = await _k.OkAsync("api-resources --namespaced=false -o name");
        Assert.Contains("nodes", namespaced);
        Assert.DoesNotContain("pods", namespaced);

        var versions = await _k.OkAsync("api-versions");
        foreach (var gv in new[] { "v1", "apps/v1", "batch/v1", "autoscaling/v2", "networking.k8s.io/v1", "rbac.authorization.k8s.io/v1", "storage.k8s.io/v1", "coordination.k8s.io/v1", "policy/v1" })
        {
            Assert.Contains(gv, versions.Split('\n'));
        }

        var ns = await _k.OkAsync("get ns -o name");
        foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            Assert.Contains("namespace/" + name, ns);
        }
    }

    [Fact]
    public async Task Create_multi_document_yaml_then_get_in_every_output_format()
    {
        var ns = await NewNamespaceAsync();
        var yaml = $"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: settings
              namespace: {ns}
              labels: {"{"}app: web{"}"}
            data:
              mode: fast
              level: "3"
            ---
            {Pod("web-1", "app: web, tier: front").Replace("name: web-1", $"name: web-1\n  namespace: {ns}")}---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: api
              namespace: {ns}
            spec:
              replicas: 3
              selector:
                matchLabels: {"{"}app: api{"}"}
              template:
                metadata:
                  labels: {"{"}app: api{"}"}
                spec:
                  containers:
                  - name: api
                    image: nginx:1.25
            """;
        var created = await _k.OkAsync("create -f -", yaml);
        Assert.Contains("configmap/settings created", created);
        Assert.Contains("pod/web-1 created", created);
        Assert.Contains("deployment.apps/api created", created);

        Assert.Equal(["configmap/settings"], Lines(await _k.OkAsync($"-n {ns} get cm -o name")));
        var table = await _k.OkAsync($"-n {ns} get pods");
        Assert.Matches(@"NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE", table);
        Assert.Matches(@"web-1\s+0/1\s+Pending\s+0\s+\d+s", table);
        var wide = await _k.OkAsync($"-n {ns} get pods -o wide");
        Assert.Matches(@"NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES", wide);
        Assert.Matches(@"NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE", await _k.OkAsync($"-n {ns} get deploy"));
        Assert.Matches(@"api\s+0/3\s+0\s+0\s+\d+s", await _k.OkAsync($"-n {ns} get deployments.apps"));

        var json = JsonDocument.Parse(await _k.OkAsync($"-n {ns} get cm settings -o json")).RootElement;
        Assert.Equal("fast", json.GetProperty("data").GetProperty("mode").GetString());
        Assert.Equal(ns, json.GetProperty("metadata").GetProperty("namespace").GetString());
        Assert.True(long.Parse(json.GetProperty("metadata").GetProperty("resourceVersion").GetString()!) > 0);
        Assert.Matches("^[0-9a-f-]{36}$", json.GetProperty("metadata").GetProperty("uid").GetString());

        var yamlOut = await _k.OkAsync($"-n {ns} get deploy api -o yaml");
        Assert.Contains("kind: Deployment", yamlOut);
        Assert.Contains("generation: 1", yamlOut);
        Assert.Equal("fast", (await _k.OkAsync($"-n {ns} get cm settings -o jsonpath={{.data.mode}}")).Trim());
        var columns = await _k.OkAsync($"-n {ns} get pods -o custom-columns=NAME:.metadata.name,IMAGE:.spec.containers[0].image");
        Assert.Matches(@"web-1\s+busybox:1.36", columns);

        var all = await _k.OkAsync($"-n {ns} get all");
        Assert.Contains("pod/web-1", all);
        Assert.Contains("deployment.apps/api", all);
        Assert.Contains(ns, await _k.OkAsync("get pods -A"));
    }

    /// <summary>kubectl's typed create subcommands send protobuf bodies (application/vnd.kubernetes.protobuf).</summary>
    [Fact]
    public async Task Typed_create_subcommands()
    {
        var ns = Names.Unique("typed");
        Assert.Contains($"namespace/{ns} created", await _k.OkAsync($"create namespace {ns}"));
        Assert.Contains("configmap/conf created", await _k.OkAsync($"-n {ns} create configmap conf --from-literal=mode=fast --from-literal=level=3"));
        Assert.Contains("secret/pw created", await _k.OkAsync($"-n {ns} create secret generic pw --from-literal=password=s3cret"));
        Assert.Contains("deployment.apps/web created", await _k.OkAsync($"-n {ns} create deployment web --image=nginx:1.25 --replicas=2 --port=80"));
        Assert.Contains("serviceaccount/robot created", await _k.OkAsync($"-n {ns} create serviceaccount robot"));

        Assert.Equal("fast", (await _k.OkAsync($"-n {ns} get cm conf -o jsonpath={{.data.mode}}")).Trim());
        Assert.Equal(Convert.ToBase64String("s3cret"u8.ToArray()), (await _k.OkAsync($"-n {ns} get secret pw -o jsonpath={{.data.password}}")).Trim());
        var deployment = JsonDocument.Parse(await _k.OkAsync($"-n {ns} get deploy web -o json")).RootElement;
        Assert.Equal(2, deployment.GetProperty("spec").GetProperty("replicas").GetInt32());
        var container = deployment.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0];
        Assert.Equal("nginx:1.25", container.GetProperty("image").GetString());
        Assert.Equal(80, container.GetProperty("ports")[0].GetProperty("containerPort").GetInt32());
        Assert.Equal("web", deployment.GetProperty("spec").GetProperty("selector").GetProperty("matchLabels").GetProperty("app").GetString());
    }

    [Fact]
    public async Task Label_selectors_show_labels_and_field_selectors()
    {
        var ns = await NewNamespaceAsync();
        await _k.OkAsync($"-n {ns} create -f -", Pod("a", "app: web, tier: front") + "---\n" + Pod("b", "app: db") + "---\n" + Pod("c", "app: cache, tier: back"));
        async Task<string[]> Names(string selector) => [.. Lines(await _k.OkAsync($"-n {ns} get pods -o name -l '{selector}'")).Select(l => l["pod/".Length..]).Order()];

        Assert.Equal(["a"], await Names("app=web"));
        Assert.Equal(["a"], await Names("app==web"));
        Assert.Equal(["b", "c"], await Names("app!=web"));
        Assert.Equal(["a", "b"], await Names("app in (web,db)"));
        Assert.Equal(["c"], await Names("app notin (web,db)"));
        Assert.Equal(["a", "c"], await Names("tier"));
        Assert.Equal(["b"], await Names("!tier"));
        Assert.Equal(["c"], await Names("tier,app=cache"));

        var shown = await _k.OkAsync($"-n {ns} get pods --show-labels");
        Assert.Matches(@"(?m)^a\s.*app=web,tier=front\s*$", shown);
        var column = await _k.OkAsync($"-n {ns} get pods -L tier");
        Assert.Matches(@"(?m)^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+TIER\s*$", column);
        Assert.Matches(@"(?m)^c\s.*\sback\s*$", column);

        Assert.Equal(["pod/b"], Lines(await _k.OkAsync($"-n {ns} get pods -o name --field-selector metadata.name=b")));
        Assert.Equal(3, Lines(await _k.OkAsync($"-n {ns} get pods -o name --field-selector status.phase=Pending")).Length);
        var bad = await _k.RunAsync($"-n {ns} get pods --field-selector spec.color=red");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("field label not supported: spec.color", bad.Stderr);
    }

    [Fact]
    public async Task Label_and_annotate_overwrite_and_remove()
    {
        var ns = await NewNamespaceAsync();
        await _k.OkAsync($"-n {ns} create -f -", Pod("p", "app: web"));
        Assert.Contains("pod/p labeled", await _k.OkAsync($"-n {ns} label pod p env=prod"));
        var refused = await _k.RunAsync($"-n {ns} label pod p env=dev");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("already has a value (prod)", refused.Stderr);
        await _k.OkAsync($"-n {ns} label pod p env=dev --overwrite");
        Assert.Equal("dev", (await _k.OkAsync($"-n {ns} get pod p -o jsonpath={{.metadata.labels.env}}")).Trim());
        Assert.Contains("pod/p unlabeled", await _k.OkAsync($"-n {ns} label pod p env-"));
        Assert.DoesNotContain("env", await _k.OkAsync($"-n {ns} get pod p -o jsonpath={{.metadata.labels}}"));

        Assert.Contains("pod/p annotated", await _k.OkAsync($"-n {ns} annotate pod p note=first"));
        await _k.OkAsync($"-n {ns} annotate pod p note=second --overwrite");
        Assert.Equal("second", (await _k.OkAsync($"-n {ns} get pod p -o jsonpath={{.metadata.annotations.note}}")).Trim());
        await _k.OkAsync($"-n {ns} annotate pod p note-");
        Assert.DoesNotContain("note", await _k.OkAsync($"-n {ns} get pod p -o jsonpath={{.metadata.annotations}}"));
    }

    private static string WidgetCrd(string group) => $$$"""
        apiVersion: apiextensions.k8s.io/v1
        kind: CustomResourceDefinition
        metadata:
          name: widgets.{{{group}}}
        spec:
          group: {{{group}}}
          scope: Namespaced
          names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
          versions:
          - name: v1
            served: true
            storage: true
            subresources: {status: {}, scale: {specReplicasPath: .spec.replicas, statusReplicasPath: .status.replicas, labelSelectorPath: .status.selector}}
            additionalPrinterColumns:
            - {name: Replicas, type: integer, jsonPath: .spec.replicas}
            - {name: Color, type: string, jsonPath: .spec.color}
            schema:
              openAPIV3Schema:
                type: object
                properties:
                  spec:
                    type: object
                    required: [color]
                    properties:
                      replicas: {type: integer, minimum: 1, maximum: 10}
                      color: {type: string, enum: [red, blue]}
                      labels: {type: object, additionalProperties: {type: string}}
                      free: {type: object, x-kubernetes-preserve-unknown-fields: true}
                  status:
                    type: object
                    properties:
                      ready: {type: boolean}
                      replicas: {type: integer}
                      selector: {type: string}
        """;

    /// <summary>A CRD end to end: served at once (discovery, CRUD, Table columns, short name), its schema prunes and validates, status subresource, deleting it deletes its objects.</summary>
    [Fact]
    public async Task Custom_resource_definition_lifecycle()
    {
        var ns = await NewNamespaceAsync();
        var group = Names.Unique("g") + ".example.com";
        Assert.Contains($"customresourcedefinition.apiextensions.k8s.io/widgets.{group} created", await _k.OkAsync("apply -f -", WidgetCrd(group)));
        await _k.OkAsync($"wait --for condition=established --timeout=30s crd/widgets.{group}");
        Assert.Matches($@"(?m)^widgets\s+wd\s+{System.Text.RegularExpressions.Regex.Escape(group)}/v1\s+true\s+Widget\s*$", await _k.OkAsync("api-resources"));

        string Widget(string name, string spec) => $"apiVersion: {group}/v1\nkind: Widget\nmetadata:\n  name: {name}\n  namespace: {ns}\nspec: {spec}\n";
        // kubectl's default (--validate=strict) refuses a field the schema does not declare; with ignore it is pruned.
        var strict = await _k.RunAsync("apply -f -", Widget("w1", "{replicas: 3, color: red, extra: dropped}"));
        Assert.Contains("Widget in version \"v1\" cannot be handled as a Widget: strict decoding error: unknown field \"spec.extra\"", strict.Stderr);
        Assert.Contains("widget." + group + "/w1 created", await _k.OkAsync("apply --validate=ignore -f -", Widget("w1", "{replicas: 3, color: red, extra: dropped, labels: {a: b}, free: {any: [1, 2]}}")));
        var explained = await _k.OkAsync("explain widget.spec");
        Assert.Contains("KIND:       Widget", explained);
        Assert.Matches(@"(?m)^  replicas\t<integer>$", explained);
        Assert.Matches(@"(?m)^  color\t<string> -required-$", explained);
        var stored = JsonDocument.Parse(await _k.OkAsync($"-n {ns} get wd w1 -o json")).RootElement.GetProperty("spec");
        Assert.False(stored.TryGetProperty("extra", out _), "a field the schema does not declare was kept");
        Assert.Equal("b", stored.GetProperty("labels").GetProperty("a").GetString());
        Assert.Equal(2, stored.GetProperty("free").GetProperty("any").GetArrayLength());
        Assert.Matches(@"(?m)^NAME\s+REPLICAS\s+COLOR\s*$", await _k.OkAsync($"-n {ns} get widgets"));
        Assert.Matches(@"(?m)^w1\s+3\s+red\s*$", await _k.OkAsync($"-n {ns} get widgets"));

        var invalid = await _k.RunAsync("apply -f -", Widget("w2", "{replicas: 20, color: green}"));
        Assert.NotEqual(0, invalid.ExitCode);
        Assert.Contains("spec.replicas", invalid.Stderr);
        Assert.Contains("spec.color: Unsupported value: \"green\"", invalid.Stderr);
        var missing = await _k.RunAsync("apply -f -", Widget("w3", "{replicas: 2}"));
        Assert.Contains("spec.color: Required value", missing.Stderr);

        Assert.Contains("configured", await _k.OkAsync("apply -f -", Widget("w1", "{replicas: 4, color: blue}")));
        var applied = JsonDocument.Parse(await _k.OkAsync($"-n {ns} get wd w1 -o json")).RootElement;
        Assert.Equal(4, applied.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal("blue", applied.GetProperty("spec").GetProperty("color").GetString());

        await _k.OkAsync(["-n", ns, "patch", "wd", "w1", "--subresource=status", "--type=merge", "-p", """{"status":{"ready":true}}"""]);
        await _k.OkAsync(["-n", ns, "patch", "wd", "w1", "--type=merge", "-p", """{"status":{"ready":false},"spec":{"replicas":5}}"""]);
        var patched = JsonDocument.Parse(await _k.OkAsync($"-n {ns} get wd w1 -o json")).RootElement;
        Assert.True(patched.GetProperty("status").GetProperty("ready").GetBoolean(), "the main resource changed status");
        Assert.Equal(5, patched.GetProperty("spec").GetProperty("replicas").GetInt32());

        // The scale subresource the CRD declares: kubectl scale writes specReplicasPath; the Scale shows status and selector from their paths.
        Assert.Contains($"widget.{group}/w1 scaled", await _k.OkAsync($"-n {ns} scale wd w1 --replicas=7"));
        await _k.OkAsync(["-n", ns, "patch", "wd", "w1", "--subresource=status", "--type=merge", "-p", """{"status":{"replicas":6,"selector":"app=w1"}}"""]);
        var scale = JsonDocument.Parse(await _k.OkAsync($"get --raw /apis/{group}/v1/namespaces/{ns}/widgets/w1/scale")).RootElement;
        Assert.Equal("Scale", scale.GetProperty("kind").GetString());
        Assert.Equal(7, scale.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal(6, scale.GetProperty("status").GetProperty("replicas").GetInt32());
        Assert.Equal("app=w1", scale.GetProperty("status").GetProperty("selector").GetString());
        Assert.Equal(7, JsonDocument.Parse(await _k.OkAsync($"-n {ns} get wd w1 -o json")).RootElement.GetProperty("spec").GetProperty("replicas").GetInt32());
        var tooMany = await _k.RunAsync($"-n {ns} scale wd w1 --replicas=20");
        Assert.NotEqual(0, tooMany.ExitCode);
        Assert.Contains("spec.replicas", tooMany.Stderr);

        Assert.Contains("deleted", await _k.OkAsync($"delete crd widgets.{group} --timeout=60s"));
        Assert.NotEqual(0, (await _k.RunAsync($"-n {ns} get wd w1")).ExitCode);
        await _k.OkAsync("apply -f -", WidgetCrd(group));
        await _k.OkAsync($"wait --for condition=established --timeout=30s crd/widgets.{group}");
        Assert.DoesNotContain("w1", await _k.OkAsync($"-n {ns} get widgets -o name"));
    }

    /// <summary>kubectl's other write commands, each checked by what it stored: the three patch types, expose, set env, autoscale (a protobuf HPA), rollout pause/resume, replace.</summary>
    [Fact]
    public async Task Patch_types_expose_set_env_autoscale_pause_resume_and_replace()
    {
        var ns = await NewNamespaceAsync();
        await _k.OkAsync($"-n {ns} create deployment web --image=nginx:1.25 --replicas=2");
        JsonElement Deploy(string json) => JsonDocument.Parse(json).RootElement;
        async Task<JsonElement> GetAsync(string what) => Deploy(await _k.OkAsync($"-n {ns} get {what} -o json"));

        await _k.OkAsync(["-n", ns, "patch", "deployment", "web", "--type", "json", "-p", """[{"op":"replace","path":"/spec/replicas","value":3},{"op":"add","path":"/metadata/labels/tier","value":"front"}]"""]);
        await _k.OkAsync(["-n", ns, "patch", "deployment", "web", "--type", "merge", "-p", """{"metadata":{"labels":{"app":null,"stage":"two"}}}"""]);
        await _k.OkAsync(["-n", ns, "patch", "deployment", "web", "-p", """{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}"""]);
        var patched = await GetAsync("deploy web");
        Assert.Equal(3, patched.GetProperty("spec").GetProperty("replicas").GetInt32());
        var labels = patched.GetProperty("metadata").GetProperty("labels");
        Assert.Equal("front", labels.GetProperty("tier").GetString());
        Assert.Equal("two", labels.GetProperty("stage").GetString());
        Assert.False(labels.TryGetProperty("app", out _), "merge patch null did not remove the label");
        Assert.Equal("nginx:1.26", patched.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("image").GetString());
        var failed = await _k.RunAsync(["-n", ns, "patch", "deployment", "web", "--type", "json", "-p", """[{"op":"test","path":"/spec/replicas","value":9}]"""]);
        Assert.NotEqual(0, failed.ExitCode);
        Assert.Equal(3, (await GetAsync("deploy web")).GetProperty("spec").GetProperty("replicas").GetInt32());

        Assert.Contains("service/web exposed", await _k.OkAsync($"-n {ns} expose deployment web --port=80 --target-port=8080"));
        var svc = await GetAsync("svc web");
        Assert.Equal("web", svc.GetProperty("spec").GetProperty("selector").GetProperty("app").GetString());
        Assert.Equal(8080, svc.GetProperty("spec").GetProperty("ports")[0].GetProperty("targetPort").GetInt32());

        await _k.OkAsync($"-n {ns} set env deployment/web FOO=bar");
        var env = (await GetAsync("deploy web")).GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[0].GetProperty("env");
        Assert.Equal("FOO", env[0].GetProperty("name").GetString());
        Assert.Equal("bar", env[0].GetProperty("value").GetString());

        Assert.Contains("horizontalpodautoscaler.autoscaling/web autoscaled", await _k.OkAsync($"-n {ns} autoscale deployment web --min=2 --max=5 --cpu-percent=70"));
        var hpa = (await GetAsync("hpa web")).GetProperty("spec");
        Assert.Equal(5, hpa.GetProperty("maxReplicas").GetInt32());
        Assert.Equal(2, hpa.GetProperty("minReplicas").GetInt32());
        Assert.Equal("Deployment", hpa.GetProperty("scaleTargetRef").GetProperty("kind").GetString());
        Assert.Equal(70, hpa.GetProperty("metrics")[0].GetProperty("resource").GetProperty("target").GetProperty("averageUtilization").GetInt32());

        await _k.OkAsync($"-n {ns} rollout pause deployment/web");
        Assert.True((await GetAsync("deploy web")).GetProperty("spec").GetProperty("paused").GetBoolean());
        await _k.OkAsync($"-n {ns} rollout resume deployment/web");
        Assert.False((await GetAsync("deploy web")).GetProperty("spec").TryGetProperty("paused", out var paused) && paused.GetBoolean());

        var yaml = (await _k.OkAsync($"-n {ns} get deploy web -o yaml")).Replace("replicas: 3", "replicas: 1", StringComparison.Ordinal);
        Assert.Contains("deployment.apps/web replaced", await _k.OkAsync("replace -f -", yaml));
        Assert.Equal(1, (await GetAsync("deploy web")).GetProperty("spec").GetProperty("replicas").GetInt32());
    }

    /// <summary>apply (its second run), set image, rollout restart and edit all send strategic merge patches.</summary>
    [Fact]
    public async Task Apply_twice_set_image_rollout_restart_and_edit()
    {
        var ns = await NewNamespaceAsync();
        string Deployment(int replicas, string image, string labels, string env) => $$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: web
              namespace: {{{ns}}}
              labels: {{{{labels}}}}
            spec:
              replicas: {{{replicas}}}
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - name: web
                    image: {{{image}}}
                    env: [{{{env}}}]
                  - name: side
                    image: busybox:1.35
            """;
        Assert.Contains("deployment.apps/web created", await _k.OkAsync("apply -f -", Deployment(2, "nginx:1.25", "app: web, stage: one", "{name: A, value: '1'}, {name: B, value: '2'}")));
        Assert.Contains("deployment.apps/web configured", await _k.OkAsync("apply -f -", Deployment(4, "nginx:1.26", "app: web", "{name: A, value: '1'}")));
        var applied = JsonDocument.Parse(await _k.OkAsync($"-n {ns} get deploy web -o json")).RootElement;
        Assert.Equal(4, applied.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.False(applied.GetProperty("metadata").GetProperty("labels").TryGetProperty("stage", out _), "a label removed from the manifest is still there");
        var containers = applied.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers");
        Assert.Equal("nginx:1.26", containers[0].GetProperty("image").GetString());
        Assert.Equal(1, containers[0].GetProperty("env").GetArrayLength());
        Assert.Equal("busybox:1.35", containers[1].GetProperty("image").GetString());

        await _k.OkAsync($"-n {ns} set image deploy/web side=busybox:1.36");
        await _k.OkAsync($"-n {ns} rollout restart deploy/web");
        var restarted = JsonDocument.Parse(await _k.OkAsync($"-n {ns} get deploy web -o json")).RootElement;
        Assert.Equal("busybox:1.36", restarted.GetProperty("spec").GetProperty("template").GetProperty("spec").GetProperty("containers")[1].GetProperty("image").GetString());
        Assert.True(restarted.GetProperty("spec").GetProperty("template").GetProperty("metadata").GetProperty("annotations").TryGetProperty("kubectl.kubernetes.io/restartedAt", out _));

        var editor = Path.Combine(Path.GetTempPath(), $"editor-{Guid.NewGuid():N}.sh");
        await File.WriteAllTextAsync(editor, "#!/bin/sh\nsed -i 's/replicas: 4/replicas: 5/' \"$1\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        try
        {
            var edited = await Processes.RunAsync("/usr/bin/kubectl", ["--kubeconfig", fixture.Server.Kubeconfig, "-n", ns, "edit", "deploy", "web"], env: new Dictionary<string, string> { ["EDITOR"] = editor });
            Assert.True(edited.ExitCode == 0, edited.ToString());
        }
        finally
        {
            File.Delete(editor);
        }

        Assert.Equal("5", (await _k.OkAsync($"-n {ns} get deploy web -o jsonpath={{.spec.replicas}}")).Trim());
    }

    [Fact]
    public async Task Scale_through_the_scale_subresource()
    {
        var ns = await NewNamespaceAsync();
        await _k.OkAsync($"-n {ns} create deployment web --image=nginx:1.25 --replicas=2");
        Assert.Contains("deployment.apps/web scaled", await _k.OkAsync($"-n {ns} scale deploy web --replicas=5"));
        Assert.Equal("5 2", (await _k.OkAsync($"-n {ns} get deploy web -o jsonpath='{{.spec.replicas}} {{.metadata.generation}}'")).Trim());
        var refused = await _k.RunAsync($"-n {ns} scale deploy web --current-replicas=9 --replicas=1");
        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Expected replicas to be 9, was 5", refused.Stderr);
        var scale = JsonDocument.Parse(await _k.OkAsync($"get --raw /apis/apps/v1/namespaces/{ns}/deployments/web/scale")).RootElement;
        Assert.Equal("Scale", scale.GetProperty("kind").GetString());
        Assert.Equal(5, scale.GetProperty("spec").GetProperty("replicas").GetInt32());
        Assert.Equal("app=web", scale.GetProperty("status").GetProperty("selector").GetString());
    }

    [Fact]
    public async Task Describe_pod_namespace_and_deployment()
    {
        var ns = await NewNamespaceAsync();
        await _k.OkAsync($"-n {ns} create -f -", Pod("p", "app: web"));
        var pod = await _k.OkAsync($"-n {ns} describe pod p");
        Assert.Matches(@"Name:\s+p", pod);
        Assert.Matches(@"Namespace:\s+" + ns, pod);
        Assert.Matches(@"Image:\s+busybox:1.36", pod);
        Assert.Matches(@"Status:\s+Pending", pod);
        Assert.Matches(@"Status:\s+Active", await _k.OkAsync($"describe ns {ns}"));
    }

    [Fact]
    public async Task Get_watch_sees_added_modified_deleted()
    {
        var ns = await NewNamespaceAsync();
        var watch = _k.RunAsync($"-n {ns} get configmaps --watch --output-watch-events", timeout: TimeSpan.FromSeconds(12));
        await Task.Delay(2500);
        await _k.OkAsync($"-n {ns} create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: watched\ndata:\n  k: v\n");
        await _k.OkAsync($"-n {ns} label cm watched seen=yes");
        await _k.OkAsync($"-n {ns} delete cm watched");
        var output = (await watch).Stdout;
        Assert.Matches(@"(?m)^ADDED\s+watched\s+1\s", output);
        Assert.Matches(@"(?m)^MODIFIED\s+watched\s+1\s", output);
        Assert.Matches(@"(?m)^DELETED\s+watched\s+1\s", output);
        Assert.True(output.IndexOf("ADDED", StringComparison.Ordinal) < output.IndexOf("MODIFIED", StringComparison.Ordinal)
            && output.IndexOf("MODIFIED", StringComparison.Ordinal) < output.IndexOf("DELETED", StringComparison.Ordinal), output);
    }

    [Fact]
    public async Task Delete_by_name_by_label_all_and_namespace()
    {
        var ns = await NewNamespaceAsync();
        await _k.OkAsync($"-n {ns} create -f -", Pod("a", "app: web") + "---\n" + Pod("b", "app: web") + "---\n" + Pod("c", "app: db") + "---\n" + Pod("d", "app: db"));
        Assert.Contains("pod \"a\" deleted", await _k.OkAsync($"-n {ns} delete pod a"));
        var missing = await _k.RunAsync($"-n {ns} get pod a");
        Assert.Contains("Error from server (NotFound): pods \"a\" not found", missing.Stderr);
        Assert.Contains("pod \"b\" deleted", await _k.OkAsync($"-n {ns} delete pods -l app=web"));
        Assert.Equal(["pod/c", "pod/d"], Lines(await _k.OkAsync($"-n {ns} get pods -o name")));
        var all = await _k.OkAsync($"-n {ns} delete pods --all");
        Assert.Contains("pod \"c\" deleted", all);
        Assert.Contains("pod \"d\" deleted", all);
        Assert.Contains("No resources found", (await _k.RunAsync($"-n {ns} get pods")).Stderr);

        await _k.OkAsync($"-n {ns} create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: left\n");
        Assert.Contains($"namespace \"{ns}\" deleted", await _k.OkAsync($"delete ns {ns}"));
        Assert.Contains($"namespaces \"{ns}\" not found", (await _k.RunAsync($"get ns {ns}")).Stderr);
        Assert.DoesNotContain(ns, await _k.OkAsync("get cm -A"));
    }

    [Fact]
    public async Task Invalid_objects_are_refused_with_kubernetes_messages()
    {
        var ns = await NewNamespaceAsync();
        var badName = await _k.RunAsync($"-n {ns} create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n");
        Assert.Contains("The ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase RFC 1123 subdomain must consist of", badName.Stderr);
        var noContainers = await _k.RunAsync($"-n {ns} create -f -", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: empty\nspec: {}\n");
        Assert.Contains("spec.containers: Required value", noContainers.Stderr);
        var pidBoth = await _k.RunAsync($"-n {ns} create -f -",
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: pids\nspec:\n  hostPID: true\n  shareProcessNamespace: true\n  containers: [{name: c, image: busybox}]\n");
        Assert.Contains("The Pod \"pids\" is invalid: spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled", pidBoth.Stderr);
        await _k.OkAsync($"-n {ns} create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: once\n");
        var twice = await _k.RunAsync($"-n {ns} create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: once\n");
        Assert.Contains("Error from server (AlreadyExists)", twice.Stderr);
        Assert.Contains("configmaps \"once\" already exists", twice.Stderr);
        var noNs = await _k.RunAsync("-n no-such-ns create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n");
        Assert.Contains("namespaces \"no-such-ns\" not found", noNs.Stderr);
    }

    private static string[] Lines(string s) => s.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

[Trait("Store", "embedded")]
public sealed class KubectlOnEmbeddedStore(EmbeddedApiServer f) : KubectlTests(f), IClassFixture<EmbeddedApiServer>;

[Trait("Store", "etcd")]
public sealed class KubectlOnEtcd(EtcdApiServer f) : KubectlTests(f), IClassFixture<EtcdApiServer>;
