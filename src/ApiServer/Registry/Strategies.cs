using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry;

/// <summary>The strategies of the kinds that have one; every other kind uses <see cref="DefaultStrategy"/>.</summary>
public static class Strategies
{
    public static IKindStrategy For(ResourceKind kind) => (kind.Group, kind.Kind) switch
    {
        ("", "Namespace") => new NamespaceStrategy(),
        ("", "Pod") => new PodStrategy(),
        ("", "ConfigMap") => new ConfigMapStrategy(),
        ("", "Secret") => new SecretStrategy(),
        ("", "Service") => new ServiceStrategy(),
        ("apps", "Deployment" or "ReplicaSet" or "StatefulSet" or "DaemonSet") => new WorkloadStrategy(kind.Kind),
        ("batch", "Job") => new JobStrategy(),
        ("batch", "CronJob") => new CronJobStrategy(),
        ("apiextensions.k8s.io", "CustomResourceDefinition") => new Crd.CrdStrategy(),
        _ => DefaultStrategy.Instance,
    };
}

internal sealed class NamespaceStrategy : IKindStrategy
{
    public void PrepareForCreate(JsonObject obj)
    {
        obj["status"] = new JsonObject { ["phase"] = "Active" };
        var spec = obj["spec"] as JsonObject ?? [];
        spec["finalizers"] ??= new JsonArray("kubernetes");
        obj["spec"] = spec;
        NamespaceLabel(obj);
    }

    /// <summary>Kubernetes labels every namespace with its own name (kubernetes.io/metadata.name), so selectors can pick namespaces by name.</summary>
    public static void NamespaceLabel(JsonObject obj)
    {
        var meta = (JsonObject)obj["metadata"]!;
        var labels = meta["labels"] as JsonObject ?? [];
        labels["kubernetes.io/metadata.name"] = meta["name"]!.GetValue<string>();
        meta["labels"] = labels;
    }

    public void Canonicalize(JsonObject obj) => NamespaceLabel(obj);

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old) => [];
}

internal sealed class PodStrategy : IKindStrategy
{
    /// <summary>
    /// A pod on a node is given time to stop (the request's grace period, else its
    /// terminationGracePeriodSeconds, else 30): its node agent stops it and then deletes it with grace 0.
    /// A pod on no node, or already finished, has nothing to stop and goes at once.
    /// </summary>
    public long? GracePeriod(JsonObject obj, long? requested)
    {
        if (string.IsNullOrEmpty(obj["spec"]?["nodeName"]?.GetValue<string>()) || obj["status"]?["phase"]?.GetValue<string>() is "Succeeded" or "Failed")
        {
            return 0;
        }

        var period = requested ?? (long.TryParse(obj["spec"]?["terminationGracePeriodSeconds"]?.ToString(), out var own) ? own : 30);
        return period < 0 ? 1 : period;
    }

    public void PrepareForCreate(JsonObject obj)
    {
        obj["status"] = new JsonObject { ["phase"] = "Pending", ["qosClass"] = "BestEffort" };
        if (obj["spec"] is JsonObject spec)
        {
            DefaultSpec(spec);
        }
    }

    /// <summary>Kubernetes' defaults of a PodSpec, for pods and for the pod templates of workloads.</summary>
    public static void DefaultSpec(JsonObject spec)
    {
        {
            spec["restartPolicy"] ??= "Always";
            spec["terminationGracePeriodSeconds"] ??= 30;
            spec["dnsPolicy"] ??= "ClusterFirst";
            spec["schedulerName"] ??= "default-scheduler";
            spec["enableServiceLinks"] ??= true;
            spec["serviceAccountName"] ??= "default";
            spec["priority"] ??= 0;
            spec["securityContext"] ??= new JsonObject();
            foreach (var c in (spec["containers"] as JsonArray ?? []).OfType<JsonObject>())
            {
                c["imagePullPolicy"] ??= c["image"]?.GetValue<string>() is { } image && (image.EndsWith(":latest", StringComparison.Ordinal) || !image.Contains(':', StringComparison.Ordinal)) ? "Always" : "IfNotPresent";
                c["terminationMessagePath"] ??= "/dev/termination-log";
                c["terminationMessagePolicy"] ??= "File";
                c["resources"] ??= new JsonObject();
            }
        }
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        if (obj["spec"] is not JsonObject spec)
        {
            yield return FieldError.Required("spec.containers");
            yield break;
        }

        if (spec["containers"] is not JsonArray { Count: > 0 } containers)
        {
            yield return FieldError.Required("spec.containers");
            yield break;
        }

        var names = new HashSet<string>();
        for (var i = 0; i < containers.Count; i++)
        {
            var c = containers[i] as JsonObject;
            var name = c?["name"]?.GetValue<string>();
            if (string.IsNullOrEmpty(name))
            {
                yield return FieldError.Required($"spec.containers[{i}].name");
            }
            else if (NameRules.CheckLabel(name) is { } why)
            {
                yield return FieldError.InvalidValue($"spec.containers[{i}].name", name, why);
            }
            else if (!names.Add(name))
            {
                yield return new FieldError($"spec.containers[{i}].name", "FieldValueDuplicate", "", name);
            }

            if (string.IsNullOrEmpty(c?["image"]?.GetValue<string>()))
            {
                yield return FieldError.Required($"spec.containers[{i}].image");
            }
        }

        // Kubernetes checks these two in the pod's security context, hence the field path.
        if (spec["shareProcessNamespace"] is JsonValue share && share.TryGetValue<bool>(out var shared) && shared
            && spec["hostPID"] is JsonValue hostPid && hostPid.TryGetValue<bool>(out var host) && host)
        {
            yield return FieldError.InvalidValue("spec.securityContext.shareProcessNamespace", "true", "ShareProcessNamespace and HostPID cannot both be enabled") with { RawValue = true };
        }

        if (old?["spec"] is JsonObject oldSpec && old["spec"]?["nodeName"] is not null
            && !JsonNode.DeepEquals(oldSpec["nodeName"], spec["nodeName"]))
        {
            yield return FieldError.Immutable("spec.nodeName", spec["nodeName"]?.ToString() ?? "");
        }
    }
}

internal sealed class ConfigMapStrategy : IKindStrategy
{
    public void PrepareForCreate(JsonObject obj)
    {
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        foreach (var section in new[] { "data", "binaryData" })
        {
            foreach (var (key, _) in obj[section] as JsonObject ?? [])
            {
                if (key.Length == 0 || key.Length > 253 || key.Any(ch => !(char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.')))
                {
                    yield return FieldError.InvalidValue($"{section}[{key}]", key, "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')");
                }
            }
        }
    }
}

/// <summary>Deployments, ReplicaSets, StatefulSets, DaemonSets: Kubernetes' defaults, a selector that matches the template, and never changes.</summary>
internal sealed class WorkloadStrategy(string kind) : IKindStrategy
{
    public void PrepareForCreate(JsonObject obj)
    {
        obj["status"] = new JsonObject();
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }

        if (kind != "DaemonSet")
        {
            spec["replicas"] ??= 1;
        }

        switch (kind)
        {
            case "Deployment":
                spec["strategy"] ??= new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = "25%", ["maxSurge"] = "25%" } };
                spec["revisionHistoryLimit"] ??= 10;
                spec["progressDeadlineSeconds"] ??= 600;
                break;
            case "StatefulSet":
                spec["podManagementPolicy"] ??= "OrderedReady";
                spec["updateStrategy"] ??= new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["partition"] = 0 } };
                spec["revisionHistoryLimit"] ??= 10;
                break;
            case "DaemonSet":
                spec["updateStrategy"] ??= new JsonObject { ["type"] = "RollingUpdate", ["rollingUpdate"] = new JsonObject { ["maxUnavailable"] = 1, ["maxSurge"] = 0 } };
                spec["revisionHistoryLimit"] ??= 10;
                break;
        }

        if (spec["template"]?["spec"] is JsonObject podSpec)
        {
            PodStrategy.DefaultSpec(podSpec);
        }
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        var spec = obj["spec"] as JsonObject;
        if (spec?["selector"] is not JsonObject selector)
        {
            yield return FieldError.Required("spec.selector");
            yield break;
        }

        var templateLabels = spec["template"]?["metadata"]?["labels"] as JsonObject;
        foreach (var (key, value) in selector["matchLabels"] as JsonObject ?? [])
        {
            if (templateLabels?[key]?.GetValue<string>() != value?.GetValue<string>())
            {
                yield return FieldError.InvalidValue("spec.template.metadata.labels", templateLabels?.ToJsonString() ?? "map[]", "`selector` does not match template `labels`");
                break;
            }
        }

        if (old?["spec"]?["selector"] is { } oldSelector && !JsonNode.DeepEquals(oldSelector, selector))
        {
            yield return FieldError.Immutable("spec.selector", selector.ToJsonString());
        }
    }
}

/// <summary>Secrets: stringData is write-only convenience, merged into data (base64) and never stored; type defaults to Opaque.</summary>
internal sealed class SecretStrategy : IKindStrategy
{
    public void PrepareForCreate(JsonObject obj) => obj["type"] ??= "Opaque";

    public void Canonicalize(JsonObject obj)
    {
        if (obj["stringData"] is JsonObject stringData)
        {
            var data = obj["data"] as JsonObject ?? [];
            foreach (var (key, value) in stringData)
            {
                data[key] = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(value?.GetValue<string>() ?? ""));
            }

            obj["data"] = data;
        }

        obj.Remove("stringData");
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        foreach (var (key, value) in obj["data"] as JsonObject ?? [])
        {
            var text = value?.GetValue<string>() ?? "";
            Span<byte> buffer = new byte[text.Length];
            if (!Convert.TryFromBase64String(text, buffer, out _))
            {
                yield return FieldError.InvalidValue($"data[{key}]", text, "illegal base64 data");
            }
        }

        if (old?["type"] is { } oldType && !JsonNode.DeepEquals(oldType, obj["type"]))
        {
            yield return FieldError.Immutable("type", obj["type"]?.ToString() ?? "");
        }
    }
}

/// <summary>Services: Kubernetes' defaults, and the allocated clusterIP and nodePorts kept across updates that leave them out.</summary>
internal sealed class ServiceStrategy : IKindStrategy
{
    public void PrepareForCreate(JsonObject obj)
    {
        var spec = obj["spec"] as JsonObject ?? [];
        obj["spec"] = spec;
        spec["type"] ??= "ClusterIP";
        spec["sessionAffinity"] ??= "None";
        var type = spec["type"]!.GetValue<string>();
        if (type != "ExternalName")
        {
            spec["ipFamilies"] ??= new JsonArray("IPv4");
            spec["ipFamilyPolicy"] ??= "SingleStack";
            spec["internalTrafficPolicy"] ??= "Cluster";
        }

        if (type is "NodePort" or "LoadBalancer")
        {
            spec["externalTrafficPolicy"] ??= "Cluster";
        }

        foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port["protocol"] ??= "TCP";
            port["targetPort"] ??= port["port"]?.DeepClone();
        }

        obj["status"] = new JsonObject { ["loadBalancer"] = new JsonObject() };
    }

    public void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
        if (obj["spec"] is not JsonObject spec || old["spec"] is not JsonObject oldSpec)
        {
            return;
        }

        if (string.IsNullOrEmpty(spec["clusterIP"]?.GetValue<string>()) && oldSpec["clusterIP"] is { } ip)
        {
            spec["clusterIP"] = ip.DeepClone();
            spec["clusterIPs"] = oldSpec["clusterIPs"]?.DeepClone();
        }

        var oldPorts = (oldSpec["ports"] as JsonArray ?? []).OfType<JsonObject>().ToList();
        foreach (var port in (spec["ports"] as JsonArray ?? []).OfType<JsonObject>())
        {
            port["protocol"] ??= "TCP";
            port["targetPort"] ??= port["port"]?.DeepClone();
            if (port["nodePort"] is null && oldPorts.FirstOrDefault(p => JsonNode.DeepEquals(p["port"], port["port"]) && JsonNode.DeepEquals(p["protocol"], port["protocol"]))?["nodePort"] is { } nodePort)
            {
                port["nodePort"] = nodePort.DeepClone();
            }
        }
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        var spec = obj["spec"] as JsonObject;
        var type = spec?["type"]?.GetValue<string>() ?? "ClusterIP";
        if (type is not ("ClusterIP" or "NodePort" or "LoadBalancer" or "ExternalName"))
        {
            yield return new FieldError("spec.type", "FieldValueNotSupported", "supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"", type);
        }

        var ports = spec?["ports"] as JsonArray ?? [];
        if (ports.Count == 0 && type != "ExternalName" && spec?["clusterIP"]?.GetValue<string>() != "None")
        {
            yield return FieldError.Required("spec.ports");
        }

        for (var i = 0; i < ports.Count; i++)
        {
            var port = ports[i]?["port"]?.GetValue<int>() ?? 0;
            if (port is < 1 or > 65535)
            {
                yield return FieldError.InvalidValue($"spec.ports[{i}].port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "must be between 1 and 65535, inclusive");
            }
        }

        var oldIp = old?["spec"]?["clusterIP"]?.GetValue<string>();
        var newIp = spec?["clusterIP"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(oldIp) && type != "ExternalName" && newIp != oldIp)
        {
            yield return FieldError.InvalidValue("spec.clusterIPs[0]", newIp ?? "", "may not change once set");
        }
    }
}

/// <summary>Jobs: Kubernetes' defaults; a pod template must not restart Always.</summary>
internal sealed class JobStrategy : IKindStrategy
{
    public void PrepareForCreate(JsonObject obj)
    {
        obj["status"] = new JsonObject();
        if (obj["spec"] is JsonObject spec)
        {
            Default(spec);
        }
    }

    public static void Default(JsonObject spec)
    {
        spec["parallelism"] ??= 1;
        spec["completions"] ??= 1;
        spec["backoffLimit"] ??= 6;
        spec["completionMode"] ??= "NonIndexed";
        spec["suspend"] ??= false;
        if (spec["template"]?["spec"] is JsonObject podSpec)
        {
            podSpec["restartPolicy"] ??= "Never";
            PodStrategy.DefaultSpec(podSpec);
        }
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        var policy = obj["spec"]?["template"]?["spec"]?["restartPolicy"]?.GetValue<string>();
        if (policy is not ("Never" or "OnFailure"))
        {
            yield return new FieldError("spec.template.spec.restartPolicy", "FieldValueNotSupported", "supported values: \"OnFailure\", \"Never\"", policy ?? "");
        }
    }
}

/// <summary>CronJobs: Kubernetes' defaults, for the CronJob and its job template.</summary>
internal sealed class CronJobStrategy : IKindStrategy
{
    public void PrepareForCreate(JsonObject obj)
    {
        obj["status"] = new JsonObject();
        if (obj["spec"] is not JsonObject spec)
        {
            return;
        }

        spec["concurrencyPolicy"] ??= "Allow";
        spec["suspend"] ??= false;
        spec["successfulJobsHistoryLimit"] ??= 3;
        spec["failedJobsHistoryLimit"] ??= 1;
        if (spec["jobTemplate"]?["spec"] is JsonObject jobSpec)
        {
            JobStrategy.Default(jobSpec);
        }
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        if (string.IsNullOrWhiteSpace(obj["spec"]?["schedule"]?.GetValue<string>()))
        {
            yield return FieldError.Required("spec.schedule");
        }
    }
}
