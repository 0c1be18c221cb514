using System.Text;
using k8s;
using k8s.Autorest;
using k8s.Models;

namespace KvCluster.NodeAgent.Pods;

/// <summary>A container cannot be configured yet (a missing ConfigMap, Secret or key): CreateContainerConfigError with this message.</summary>
public sealed class ContainerConfigException(string message) : Exception(message);

/// <summary>
/// A container's environment as the kubelet makes it: the image's, then envFrom (in order, with prefixes),
/// then env (value with $(VAR) expansion, configMapKeyRef, secretKeyRef, fieldRef, resourceFieldRef).
/// </summary>
public sealed class EnvResolver(IKubernetes client, NodeInfo node)
{
    public async Task<List<KeyValuePair<string, string>>> ResolveAsync(V1Pod pod, V1Container c, IEnumerable<string> imageEnv, CancellationToken ct)
    {
        var ns = pod.Namespace();
        var env = new List<KeyValuePair<string, string>>();
        void Set(string name, string value)
        {
            var i = env.FindIndex(kv => kv.Key == name);
            if (i >= 0)
            {
                env[i] = new(name, value);
            }
            else
            {
                env.Add(new(name, value));
            }
        }

        foreach (var e in imageEnv)
        {
            var eq = e.IndexOf('=');
            Set(eq < 0 ? e : e[..eq], eq < 0 ? "" : e[(eq + 1)..]);
        }

        foreach (var from in c.EnvFrom ?? [])
        {
            var data = from.ConfigMapRef is { } cm
                ? await ConfigMapAsync(ns, cm.Name, cm.Optional == true, ct)
                : from.SecretRef is { } s ? await SecretAsync(ns, s.Name, s.Optional == true, ct) : null;
            foreach (var (k, v) in data ?? new Dictionary<string, string>())
            {
                Set((from.Prefix ?? "") + k, v);
            }
        }

        foreach (var e in c.Env ?? [])
        {
            var value = e.ValueFrom switch
            {
                null => Expand(e.Value ?? "", env),
                { ConfigMapKeyRef: { } r } => Key(await ConfigMapAsync(ns, r.Name, r.Optional == true, ct), r.Key, r.Optional == true, $"ConfigMap {ns}/{r.Name}"),
                { SecretKeyRef: { } r } => Key(await SecretAsync(ns, r.Name, r.Optional == true, ct), r.Key, r.Optional == true, $"Secret {ns}/{r.Name}"),
                { FieldRef: { } f } => FieldPath(pod, f.FieldPath),
                { ResourceFieldRef: { } r } => ResourceField(pod, r.ContainerName is { Length: > 0 } n ? n : c.Name, r),
                _ => "",
            };
            if (value is not null)
            {
                Set(e.Name, value);
            }
        }

        return env;
    }

    /// <summary>Kubernetes' $(VAR) expansion: defined names are replaced, others kept as written; $$ is a literal $.</summary>
    public static string Expand(string input, IReadOnlyList<KeyValuePair<string, string>> env)
    {
        if (!input.Contains('$'))
        {
            return input;
        }

        var sb = new StringBuilder();
        for (var i = 0; i < input.Length; i++)
        {
            if (input[i] != '$' || i + 1 >= input.Length)
            {
                sb.Append(input[i]);
            }
            else if (input[i + 1] == '$')
            {
                sb.Append('$');
                i++;
            }
            else if (input[i + 1] == '(' && input.IndexOf(')', i + 2) is var close and > 0)
            {
                var name = input[(i + 2)..close];
                var found = env.LastOrDefault(kv => kv.Key == name);
                sb.Append(found.Key is null ? input[i..(close + 1)] : found.Value);
                i = close;
            }
            else
            {
                sb.Append(input[i]);
            }
        }

        return sb.ToString();
    }

    private static string? Key(IDictionary<string, string>? data, string key, bool optional, string what) =>
        data is null ? null
        : data.TryGetValue(key, out var v) ? v
        : optional ? null
        : throw new ContainerConfigException($"couldn't find key {key} in {what}");

    public async Task<IDictionary<string, string>?> ConfigMapAsync(string ns, string name, bool optional, CancellationToken ct)
    {
        try
        {
            var cm = await client.CoreV1.ReadNamespacedConfigMapAsync(name, ns, cancellationToken: ct);
            var data = new Dictionary<string, string>(cm.Data ?? new Dictionary<string, string>());
            foreach (var (k, v) in cm.BinaryData ?? new Dictionary<string, byte[]>())
            {
                data[k] = Encoding.UTF8.GetString(v);
            }

            return data;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return optional ? null : throw new ContainerConfigException($"configmap \"{name}\" not found");
        }
    }

    public async Task<IDictionary<string, string>?> SecretAsync(string ns, string name, bool optional, CancellationToken ct)
    {
        var bytes = await SecretBytesAsync(ns, name, optional, ct);
        return bytes?.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetString(kv.Value));
    }

    public async Task<IDictionary<string, byte[]>?> SecretBytesAsync(string ns, string name, bool optional, CancellationToken ct)
    {
        try
        {
            var s = await client.CoreV1.ReadNamespacedSecretAsync(name, ns, cancellationToken: ct);
            return s.Data ?? new Dictionary<string, byte[]>();
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            return optional ? null : throw new ContainerConfigException($"secret \"{name}\" not found");
        }
    }

    /// <summary>The downward API's field paths (env fieldRef and downwardAPI volume items).</summary>
    public string FieldPath(V1Pod pod, string path)
    {
        static string? Bracket(string path, string prefix) =>
            path.StartsWith(prefix + "['", StringComparison.Ordinal) && path.EndsWith("']", StringComparison.Ordinal) ? path[(prefix.Length + 2)..^2] : null;
        if (Bracket(path, "metadata.labels") is { } label)
        {
            return pod.Labels() is { } labels && labels.TryGetValue(label, out var l) ? l : "";
        }

        if (Bracket(path, "metadata.annotations") is { } annotation)
        {
            return pod.Annotations() is { } annotations && annotations.TryGetValue(annotation, out var a) ? a : "";
        }

        return path switch
        {
            "metadata.name" => pod.Name(),
            "metadata.namespace" => pod.Namespace(),
            "metadata.uid" => pod.Uid(),
            "metadata.labels" => string.Join("\n", (pod.Labels() ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}=\"{kv.Value}\"")),
            "metadata.annotations" => string.Join("\n", (pod.Annotations() ?? new Dictionary<string, string>()).OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}=\"{kv.Value}\"")),
            "spec.nodeName" => pod.Spec.NodeName ?? "",
            "spec.serviceAccountName" => pod.Spec.ServiceAccountName ?? "",
            "status.hostIP" or "status.hostIPs" => node.Address,
            "status.podIP" or "status.podIPs" => pod.Spec.HostNetwork == true ? node.Address : "",
            _ => throw new ContainerConfigException($"unsupported fieldPath: {path}"),
        };
    }

    /// <summary>A resourceFieldRef: the container's limit or request divided by the divisor, rounded up; an unset limit is the node's allocatable.</summary>
    public string ResourceField(V1Pod pod, string containerName, V1ResourceFieldSelector r)
    {
        var c = (pod.Spec.Containers ?? []).Concat(pod.Spec.InitContainers ?? []).FirstOrDefault(x => x.Name == containerName)
            ?? throw new ContainerConfigException($"container {containerName} not found in pod {pod.Name()}");
        var parts = r.Resource.Split('.', 2);
        if (parts.Length != 2 || parts[0] is not ("limits" or "requests"))
        {
            throw new ContainerConfigException($"unsupported container resource: {r.Resource}");
        }

        var set = parts[0] == "limits" ? c.Resources?.Limits : c.Resources?.Requests;
        decimal value;
        if (set is not null && set.TryGetValue(parts[1], out var q))
        {
            value = q.ToDecimal();
        }
        else if (parts[0] == "limits" || parts[1] is "cpu" or "memory")
        {
            value = parts[1] switch { "cpu" => parts[0] == "limits" ? node.Cpus : 0, "memory" => parts[0] == "limits" ? node.MemoryBytes : 0, _ => 0 };
        }
        else
        {
            value = 0;
        }

        var divisor = r.Divisor?.ToDecimal() is { } d and > 0 ? d : 1;
        return ((long)Math.Ceiling(value / divisor)).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>What the pods of this node learn of it: its name, address and capacity.</summary>
public sealed record NodeInfo(string Name, string Address, int Cpus, long MemoryBytes, long PodMaxPids = -1);
