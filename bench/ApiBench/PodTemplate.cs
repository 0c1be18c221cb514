using System.Buffers;
using System.Globalization;
using System.Text.Json;

namespace KvCluster.ApiBench;

/// <summary>
/// Pod bodies as a Deployment's pods look: labels, annotations, an app container and a proxy sidecar
/// (command, env, ports, resources, probes, volume mounts), volumes. A padding annotation
/// brings each body to about <see cref="TargetBytes"/> (names differ by a few bytes).
/// </summary>
internal sealed class PodTemplate
{
    public const string RunLabel = "apibench/run";

    private readonly string _namespace;
    private readonly string _run;
    private readonly string _padding;

    public PodTemplate(string ns, string run, int targetBytes)
    {
        _namespace = ns;
        _run = run;
        TargetBytes = targetBytes;
        _padding = "";
        var bare = Build(0).Length;
        if (targetBytes > bare)
        {
            // The padding annotation's own key and quotes count too: measure once with it, then trim.
            _padding = new string('x', targetBytes - bare);
            _padding = new string('x', Math.Max(0, _padding.Length - (Build(0).Length - targetBytes)));
        }
    }

    public int TargetBytes { get; }

    public string Name(int n) => $"bench-{_run}-{n:D6}";

    public byte[] Build(int n)
    {
        var app = (n % 5) switch { 0 => "checkout", 1 => "payments", 2 => "catalog", 3 => "frontend", _ => "search" };
        var hash = unchecked((uint)(n / 50) * 2654435761u).ToString("x8", CultureInfo.InvariantCulture);
        var buffer = new ArrayBufferWriter<byte>(TargetBytes + 256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("apiVersion", "v1");
            w.WriteString("kind", "Pod");
            w.WriteStartObject("metadata");
            w.WriteString("name", Name(n));
            w.WriteString("namespace", _namespace);
            w.WriteStartObject("labels");
            w.WriteString("app", app);
            w.WriteString("app.kubernetes.io/name", app);
            w.WriteString("app.kubernetes.io/instance", app + "-prod");
            w.WriteString("app.kubernetes.io/component", "backend");
            w.WriteString("pod-template-hash", hash);
            w.WriteString("tier", (n & 1) == 0 ? "web" : "api");
            w.WriteString(RunLabel, _run);
            w.WriteEndObject();
            w.WriteStartObject("annotations");
            w.WriteString("prometheus.io/scrape", "true");
            w.WriteString("prometheus.io/port", "9090");
            w.WriteString("kubectl.kubernetes.io/default-container", app);
            w.WriteString("checksum/config", "sha256:" + unchecked((ulong)n * 0x9E3779B97F4A7C15UL).ToString("x16", CultureInfo.InvariantCulture) + "0f4c1d8a2b7e6c5d");
            if (_padding.Length > 0)
            {
                w.WriteString("apibench/padding", _padding);
            }

            w.WriteEndObject();
            w.WriteEndObject();

            w.WriteStartObject("spec");
            w.WriteString("serviceAccountName", app);
            w.WriteNumber("terminationGracePeriodSeconds", 30);
            w.WriteStartObject("nodeSelector");
            w.WriteString("kubernetes.io/os", "linux");
            w.WriteEndObject();
            w.WriteStartObject("securityContext");
            w.WriteBoolean("runAsNonRoot", true);
            w.WriteNumber("runAsUser", 10001);
            w.WriteNumber("fsGroup", 10001);
            w.WriteEndObject();
            w.WriteStartArray("containers");
            AppContainer(w, app, n);
            Sidecar(w);
            w.WriteEndArray();
            w.WriteStartArray("volumes");
            w.WriteStartObject();
            w.WriteString("name", "config");
            w.WriteStartObject("configMap");
            w.WriteString("name", app + "-config");
            w.WriteNumber("defaultMode", 420);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("name", "tmp");
            w.WriteStartObject("emptyDir");
            w.WriteString("sizeLimit", "256Mi");
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void AppContainer(Utf8JsonWriter w, string app, int n)
    {
        w.WriteStartObject();
        w.WriteString("name", app);
        w.WriteString("image", $"registry.example.com/shop/{app}:1.24.3");
        w.WriteStartArray("command");
        w.WriteStringValue("/app/server");
        w.WriteEndArray();
        w.WriteStartArray("args");
        w.WriteStringValue("--port=8080");
        w.WriteStringValue("--config=/etc/app/config.yaml");
        w.WriteEndArray();
        w.WriteStartArray("ports");
        Port(w, "http", 8080);
        Port(w, "metrics", 9090);
        w.WriteEndArray();
        w.WriteStartArray("env");
        Env(w, "LOG_LEVEL", "info");
        Env(w, "DATABASE_URL", $"postgres://db.shop:5432/{app}");
        Env(w, "SHARD", (n % 16).ToString(CultureInfo.InvariantCulture));
        foreach (var (name, path) in new[] { ("POD_NAME", "metadata.name"), ("POD_IP", "status.podIP") })
        {
            w.WriteStartObject();
            w.WriteString("name", name);
            w.WriteStartObject("valueFrom");
            w.WriteStartObject("fieldRef");
            w.WriteString("fieldPath", path);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }

        w.WriteEndArray();
        Resources(w, "500m", "512Mi", "2", "1Gi");
        Probe(w, "livenessProbe", "/healthz", 8080, 10);
        Probe(w, "readinessProbe", "/readyz", 8080, 5);
        w.WriteStartArray("volumeMounts");
        w.WriteStartObject();
        w.WriteString("name", "config");
        w.WriteString("mountPath", "/etc/app");
        w.WriteBoolean("readOnly", true);
        w.WriteEndObject();
        w.WriteStartObject();
        w.WriteString("name", "tmp");
        w.WriteString("mountPath", "/tmp");
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
    }

    private static void Sidecar(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteString("name", "proxy");
        w.WriteString("image", "registry.example.com/mesh/proxy:1.31.2");
        w.WriteStartArray("args");
        w.WriteStringValue("proxy");
        w.WriteStringValue("sidecar");
        w.WriteEndArray();
        w.WriteStartArray("ports");
        Port(w, "proxy-admin", 15000);
        w.WriteEndArray();
        w.WriteStartArray("env");
        Env(w, "ISTIO_META_CLUSTER_ID", "prod-eu-1");
        w.WriteEndArray();
        Resources(w, "100m", "128Mi", "1", "256Mi");
        w.WriteEndObject();
    }

    private static void Port(Utf8JsonWriter w, string name, int port)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteNumber("containerPort", port);
        w.WriteString("protocol", "TCP");
        w.WriteEndObject();
    }

    private static void Env(Utf8JsonWriter w, string name, string value)
    {
        w.WriteStartObject();
        w.WriteString("name", name);
        w.WriteString("value", value);
        w.WriteEndObject();
    }

    private static void Resources(Utf8JsonWriter w, string cpu, string memory, string cpuLimit, string memoryLimit)
    {
        w.WriteStartObject("resources");
        w.WriteStartObject("requests");
        w.WriteString("cpu", cpu);
        w.WriteString("memory", memory);
        w.WriteEndObject();
        w.WriteStartObject("limits");
        w.WriteString("cpu", cpuLimit);
        w.WriteString("memory", memoryLimit);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void Probe(Utf8JsonWriter w, string kind, string path, int port, int period)
    {
        w.WriteStartObject(kind);
        w.WriteStartObject("httpGet");
        w.WriteString("path", path);
        w.WriteNumber("port", port);
        w.WriteString("scheme", "HTTP");
        w.WriteEndObject();
        w.WriteNumber("initialDelaySeconds", 5);
        w.WriteNumber("periodSeconds", period);
        w.WriteEndObject();
    }
}
