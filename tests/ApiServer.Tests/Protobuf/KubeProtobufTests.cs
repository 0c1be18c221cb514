using System.Text.Json.Nodes;
using Google.Protobuf;
using KvCluster.ApiServer.Protobuf;
using KvCluster.ApiServer.Protobuf.Wire.AppsV1;
using KvCluster.ApiServer.Protobuf.Wire.CoreV1;
using KvCluster.ApiServer.Protobuf.Wire.IntStr;
using KvCluster.ApiServer.Protobuf.Wire.MetaV1;
using KvCluster.ApiServer.Protobuf.Wire.Resource;
using KvCluster.ApiServer.Protobuf.Wire.Runtime;
using ApiException = KvCluster.ApiServer.Registry.ApiException;
using RbacV1 = KvCluster.ApiServer.Protobuf.Wire.RbacV1;

namespace KvCluster.ApiServer.Tests.Protobuf;

public class KubeProtobufTests
{
    /// <summary>The body a Kubernetes client sends: "k8s\0", then runtime.Unknown holding the object's own encoding.</summary>
    private static byte[] Envelope(string apiVersion, string kind, IMessage obj)
    {
        var unknown = new Unknown
        {
            TypeMeta = new TypeMeta { ApiVersion = apiVersion, Kind = kind },
            Raw = obj.ToByteString(),
            ContentEncoding = "",
            ContentType = "",
        };
        return [.. "k8s\0"u8, .. unknown.ToByteArray()];
    }

    private static void AssertJson(string expected, JsonNode? actual)
    {
        var want = JsonNode.Parse(expected);
        Assert.True(JsonNode.DeepEquals(want, actual), $"expected {want?.ToJsonString()}\nactual   {actual?.ToJsonString()}");
    }

    private static Quantity Q(string value) => new() { String = value };

    [Fact]
    public void ConfigMapWithData()
    {
        var cm = new ConfigMap
        {
            // Go always writes ObjectMeta's non-pointer fields; the zero time is an empty message (JSON null).
            Metadata = new ObjectMeta { Name = "cm", Namespace = "ns", GenerateName = "", Generation = 0, CreationTimestamp = new Time() },
            Immutable = false,
        };
        cm.Metadata.Labels.Add("app", "web");
        cm.Data.Add("z", "last");
        cm.Data.Add("a", "first");
        cm.Data.Add("empty", "");

        var json = KubeProtobuf.Decode(Envelope("v1", "ConfigMap", cm));

        AssertJson(
            """
            {"apiVersion":"v1","kind":"ConfigMap",
             "metadata":{"name":"cm","namespace":"ns","creationTimestamp":null,"labels":{"app":"web"}},
             "immutable":false,
             "data":{"a":"first","empty":"","z":"last"}}
            """,
            json);
        Assert.Equal(["apiVersion", "kind", "metadata", "immutable", "data"], json.Select(p => p.Key));
        Assert.Equal(["a", "empty", "z"], json["data"]!.AsObject().Select(p => p.Key));
    }

    [Fact]
    public void SecretWithBinaryData()
    {
        var secret = new Secret { Metadata = new ObjectMeta { Name = "s" }, Type = "Opaque" };
        secret.Data.Add("bin", ByteString.CopyFrom(0x00, 0x01, 0x02, 0xff));
        secret.StringData.Add("plain", "text");

        var json = KubeProtobuf.Decode(Envelope("v1", "Secret", secret));

        AssertJson(
            """
            {"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},
             "data":{"bin":"AAEC/w=="},"stringData":{"plain":"text"},"type":"Opaque"}
            """,
            json);
    }

    [Fact]
    public void DeploymentWithPodTemplate()
    {
        var container = new Container { Name = "web", Image = "nginx:1.27", Resources = new ResourceRequirements() };
        container.Ports.Add(new ContainerPort { ContainerPort_ = 8080, Protocol = "TCP", Name = "http" });
        container.Resources.Limits.Add("memory", Q("128Mi"));
        container.Resources.Limits.Add("cpu", Q("500m"));
        container.Resources.Requests.Add("cpu", Q("100m"));
        container.Command.Add("nginx");
        container.Args.AddRange(["-g", "daemon off;"]);
        container.Env.Add(new EnvVar { Name = "MODE", Value = "prod" });

        var template = new PodTemplateSpec { Metadata = new ObjectMeta { CreationTimestamp = new Time() }, Spec = new PodSpec() };
        template.Metadata.Labels.Add("app", "web");
        template.Spec.Containers.Add(container);

        var spec = new DeploymentSpec
        {
            Replicas = 0, // a pointer in Go: an explicit zero must survive
            Selector = new LabelSelector(),
            Template = template,
            Strategy = new DeploymentStrategy
            {
                Type = "RollingUpdate",
                RollingUpdate = new RollingUpdateDeployment
                {
                    MaxSurge = new IntOrString { Type = 1, StrVal = "25%" },
                    MaxUnavailable = new IntOrString { Type = 0, IntVal = 1 },
                },
            },
            MinReadySeconds = 0,
        };
        spec.Selector.MatchLabels.Add("app", "web");
        var deployment = new Deployment
        {
            Metadata = new ObjectMeta { Name = "web", Namespace = "default", CreationTimestamp = new Time() },
            Spec = spec,
            Status = new DeploymentStatus(),
        };

        var json = KubeProtobuf.Decode(Envelope("apps/v1", "Deployment", deployment));

        AssertJson(
            """
            {"apiVersion":"apps/v1","kind":"Deployment",
             "metadata":{"name":"web","namespace":"default","creationTimestamp":null},
             "spec":{
               "replicas":0,
               "selector":{"matchLabels":{"app":"web"}},
               "template":{
                 "metadata":{"creationTimestamp":null,"labels":{"app":"web"}},
                 "spec":{"containers":[{
                   "name":"web","image":"nginx:1.27","command":["nginx"],"args":["-g","daemon off;"],
                   "ports":[{"name":"http","containerPort":8080,"protocol":"TCP"}],
                   "env":[{"name":"MODE","value":"prod"}],
                   "resources":{"limits":{"cpu":"500m","memory":"128Mi"},"requests":{"cpu":"100m"}}}]}},
               "strategy":{"type":"RollingUpdate","rollingUpdate":{"maxUnavailable":1,"maxSurge":"25%"}}},
             "status":{}}
            """,
            json);
    }

    [Fact]
    public void NamespaceWithEmptySpecAndStatus()
    {
        var ns = new Namespace { Metadata = new ObjectMeta { Name = "team-a" }, Spec = new NamespaceSpec(), Status = new NamespaceStatus() };

        AssertJson(
            """{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"team-a"},"spec":{},"status":{}}""",
            KubeProtobuf.Decode(Envelope("v1", "Namespace", ns)));
    }

    [Fact]
    public void PodFlattensEmbeddedStructsAndKeepsPointerZeros()
    {
        var spec = new PodSpec
        {
            HostIPC = true,
            ServiceAccount = "legacy", // the deprecated alias keeps its own JSON name
            ServiceAccountName = "legacy",
            TerminationGracePeriodSeconds = 0,
            SecurityContext = new PodSecurityContext { RunAsUser = 0, RunAsNonRoot = false },
        };
        var volume = new Volume
        {
            Name = "config",
            VolumeSource = new VolumeSource
            {
                ConfigMap = new ConfigMapVolumeSource { LocalObjectReference = new LocalObjectReference { Name = "cm" }, DefaultMode = 420 },
            },
        };
        spec.Volumes.Add(volume);
        spec.Volumes.Add(new Volume
        {
            Name = "scratch",
            VolumeSource = new VolumeSource { EmptyDir = new EmptyDirVolumeSource { SizeLimit = Q("1Gi") } },
        });
        var container = new Container
        {
            Name = "app",
            Image = "app",
            ReadinessProbe = new Probe
            {
                Handler = new ProbeHandler { HttpGet = new HTTPGetAction { Path = "/healthz", Port = new IntOrString { IntVal = 8080 } } },
                PeriodSeconds = 5,
            },
        };
        container.Env.Add(new EnvVar
        {
            Name = "PASSWORD",
            ValueFrom = new EnvVarSource
            {
                SecretKeyRef = new SecretKeySelector { LocalObjectReference = new LocalObjectReference { Name = "db" }, Key = "password" },
            },
        });
        spec.Containers.Add(container);
        spec.Tolerations.Add(new Toleration { Key = "node.kubernetes.io/not-ready", Operator = "Exists", Effect = "NoExecute", TolerationSeconds = 300 });
        var pod = new Pod { Metadata = new ObjectMeta { Name = "p" }, Spec = spec };

        var json = KubeProtobuf.Decode(Envelope("v1", "Pod", pod));

        AssertJson(
            """
            {"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"},
             "spec":{
               "volumes":[{"name":"config","configMap":{"name":"cm","defaultMode":420}},
                          {"name":"scratch","emptyDir":{"sizeLimit":"1Gi"}}],
               "containers":[{"name":"app","image":"app",
                 "env":[{"name":"PASSWORD","valueFrom":{"secretKeyRef":{"name":"db","key":"password"}}}],
                 "readinessProbe":{"httpGet":{"path":"/healthz","port":8080},"periodSeconds":5}}],
               "terminationGracePeriodSeconds":0,
               "serviceAccountName":"legacy","serviceAccount":"legacy","hostIPC":true,
               "securityContext":{"runAsUser":0,"runAsNonRoot":false},
               "tolerations":[{"key":"node.kubernetes.io/not-ready","operator":"Exists","effect":"NoExecute","tolerationSeconds":300}]}}
            """,
            json);
    }

    [Fact]
    public void FieldsWithoutOmitemptyAreWrittenEvenWhenUnset()
    {
        // ServicePort.port and ContainerPort.containerPort have no omitempty in Go; a nil ClusterRole.rules is null.
        var service = new Service { Metadata = new ObjectMeta { Name = "s" }, Spec = new ServiceSpec() };
        service.Spec.Ports.Add(new ServicePort { Name = "p", TargetPort = new IntOrString() });
        var role = new RbacV1.ClusterRole { Metadata = new ObjectMeta { Name = "r" } };

        AssertJson(
            """{"apiVersion":"v1","kind":"Service","metadata":{"name":"s"},"spec":{"ports":[{"name":"p","port":0,"targetPort":0}]}}""",
            KubeProtobuf.Decode(Envelope("v1", "Service", service)));
        AssertJson(
            """{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{"name":"r"},"rules":null}""",
            KubeProtobuf.Decode(Envelope("rbac.authorization.k8s.io/v1", "ClusterRole", role)));
    }

    [Fact]
    public void TimesAndManagedFields()
    {
        var meta = new ObjectMeta { Name = "t", CreationTimestamp = new Time { Seconds = 1_704_164_645, Nanos = 999_000_000 } };
        meta.ManagedFields.Add(new ManagedFieldsEntry
        {
            Manager = "kubectl-create",
            Operation = "Update",
            ApiVersion = "v1",
            Time = new Time { Seconds = 1_704_164_645 },
            FieldsType = "FieldsV1",
            FieldsV1 = new FieldsV1 { Raw = ByteString.CopyFromUtf8("""{"f:data":{".":{},"f:a":{}}}""") },
        });

        var json = KubeProtobuf.Decode(Envelope("v1", "ConfigMap", new ConfigMap { Metadata = meta }));

        // metav1.Time is written to the second (Go drops the fraction); MicroTime keeps microseconds.
        AssertJson(
            """
            {"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"t","creationTimestamp":"2024-01-02T03:04:05Z",
             "managedFields":[{"manager":"kubectl-create","operation":"Update","apiVersion":"v1","time":"2024-01-02T03:04:05Z",
                               "fieldsType":"FieldsV1","fieldsV1":{"f:data":{".":{},"f:a":{}}}}]}}
            """,
            json);
        AssertJson("\"2024-01-02T03:04:05.123456Z\"", ProtoJson.MessageValue(new MicroTime { Seconds = 1_704_164_645, Nanos = 123_456_789 }));
        AssertJson("\"1970-01-01T00:00:00Z\"", ProtoJson.MessageValue(new Time { Seconds = 0 }));
        AssertJson("""{"a":[1]}""", ProtoJson.MessageValue(new RawExtension { Raw = ByteString.CopyFromUtf8("""{"a":[1]}""") }));
        Assert.Null(ProtoJson.MessageValue(new RawExtension()));
    }

    [Theory]
    [InlineData(0L, "0s")]
    [InlineData(1L, "1ns")]
    [InlineData(1_500L, "1.5µs")]
    [InlineData(100_000_000L, "100ms")]
    [InlineData(1_500_000_000L, "1.5s")]
    [InlineData(90_000_000_000L, "1m30s")]
    [InlineData(3_600_000_000_000L, "1h0m0s")]
    [InlineData(-90_000_000_000L, "-1m30s")]
    [InlineData(long.MinValue, "-2562047h47m16.854775808s")]
    public void DurationsAreGoStrings(long nanoseconds, string expected)
    {
        Assert.Equal(expected, GoDuration.Format(nanoseconds));
        AssertJson($"\"{expected}\"", ProtoJson.MessageValue(new Duration { Duration_ = nanoseconds }));
    }

    [Fact]
    public void DeleteOptionsDecodeUnderAnyGroupVersion()
    {
        var options = new DeleteOptions { GracePeriodSeconds = 0, PropagationPolicy = "Foreground" };

        AssertJson(
            """{"apiVersion":"apps/v1","kind":"DeleteOptions","gracePeriodSeconds":0,"propagationPolicy":"Foreground"}""",
            KubeProtobuf.Decode(Envelope("apps/v1", "DeleteOptions", options)));
    }

    [Theory]
    [MemberData(nameof(KubectlBodies.Names), MemberType = typeof(KubectlBodies))]
    public void KubectlBodiesDecodeToTheJsonKubectlWouldSend(string name)
    {
        var (command, body, json) = KubectlBodies.All[name];

        var decoded = KubeProtobuf.Decode(Convert.FromBase64String(body));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), decoded), $"{command}\nexpected {json}\nactual   {decoded.ToJsonString()}");
    }

    [Theory]
    [InlineData(new byte[0], "empty data")]
    [InlineData(new byte[] { (byte)'{', (byte)'}' }, "expected prefix")]
    [InlineData(new byte[] { 0x6b, 0x38, 0x73, 0x00 }, "empty body")]
    [InlineData(new byte[] { 0x6b, 0x38, 0x73, 0x00, 0x0a, 0x7f, 0x01 }, "unrecognized")]
    public void MalformedBodiesAreBadRequests(byte[] body, string message)
    {
        var e = Assert.Throws<ApiException>(() => KubeProtobuf.Decode(body));
        Assert.Equal(400, e.Code);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void UnknownKindsAndBrokenObjectsAreBadRequests()
    {
        var unknownKind = Assert.Throws<ApiException>(() => KubeProtobuf.Decode(Envelope("v1", "Node", new ConfigMap())));
        Assert.Equal(400, unknownKind.Code);
        Assert.StartsWith("no kind \"Node\" is registered for version \"v1\"", unknownKind.Message);

        var wrongVersion = Assert.Throws<ApiException>(() => KubeProtobuf.Decode(Envelope("apps/v1beta1", "Deployment", new Deployment())));
        Assert.Equal(400, wrongVersion.Code);

        var noKind = Assert.Throws<ApiException>(() => KubeProtobuf.Decode(Envelope("v1", "", new ConfigMap())));
        Assert.Contains("'Kind' is missing", noKind.Message);

        // A ConfigMap whose metadata field (1, length-delimited) claims more bytes than there are.
        var broken = new Unknown { TypeMeta = new TypeMeta { ApiVersion = "v1", Kind = "ConfigMap" }, Raw = ByteString.CopyFrom(0x0a, 0x10, 0x01) };
        var e = Assert.Throws<ApiException>(() => KubeProtobuf.Decode([.. "k8s\0"u8, .. broken.ToByteArray()]));
        Assert.Equal(400, e.Code);
    }
}
