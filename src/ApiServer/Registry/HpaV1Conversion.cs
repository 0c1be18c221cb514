using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// A kind served in a version other than the one it is stored in converts on the way in and out.
/// </summary>
public interface IVersionConversion
{
    /// <summary>The apiVersion objects are stored in.</summary>
    string StorageVersion { get; }

    JsonObject ToStorage(JsonObject served);

    JsonObject FromStorage(JsonObject stored);
}

/// <summary>
/// HorizontalPodAutoscalers are stored as autoscaling/v2; autoscaling/v1 sees the CPU utilization
/// target and current value only (targetCPUUtilizationPercentage ↔ a Resource metric on cpu), as
/// Kubernetes' conversion does.
/// </summary>
public sealed class HpaV1Conversion : IVersionConversion
{
    public string StorageVersion => "autoscaling/v2";

    public JsonObject ToStorage(JsonObject served)
    {
        served["apiVersion"] = StorageVersion;
        if (served["spec"] is JsonObject spec)
        {
            var target = spec["targetCPUUtilizationPercentage"];
            spec.Remove("targetCPUUtilizationPercentage");
            if (target is not null)
            {
                spec["metrics"] = new JsonArray(CpuMetric("target", new JsonObject { ["type"] = "Utilization", ["averageUtilization"] = target.DeepClone() }));
            }
        }

        if (served["status"] is JsonObject status)
        {
            var current = status["currentCPUUtilizationPercentage"];
            status.Remove("currentCPUUtilizationPercentage");
            if (current is not null)
            {
                status["currentMetrics"] = new JsonArray(CpuMetric("current", new JsonObject { ["averageUtilization"] = current.DeepClone() }));
            }
        }

        return served;
    }

    public JsonObject FromStorage(JsonObject stored)
    {
        stored["apiVersion"] = "autoscaling/v1";
        if (stored["spec"] is JsonObject spec)
        {
            var target = Cpu(spec["metrics"])?["target"]?["averageUtilization"];
            spec.Remove("metrics");
            spec.Remove("behavior");
            if (target is not null)
            {
                spec["targetCPUUtilizationPercentage"] = target.DeepClone();
            }
        }

        if (stored["status"] is JsonObject status)
        {
            var current = Cpu(status["currentMetrics"])?["current"]?["averageUtilization"];
            status.Remove("currentMetrics");
            status.Remove("conditions");
            if (current is not null)
            {
                status["currentCPUUtilizationPercentage"] = current.DeepClone();
            }
        }

        return stored;
    }

    private static JsonObject CpuMetric(string field, JsonObject value) => new()
    {
        ["type"] = "Resource",
        ["resource"] = new JsonObject { ["name"] = "cpu", [field] = value },
    };

    private static JsonNode? Cpu(JsonNode? metrics) =>
        (metrics as JsonArray ?? []).FirstOrDefault(m => m?["type"]?.GetValue<string>() == "Resource" && m["resource"]?["name"]?.GetValue<string>() == "cpu")?["resource"];
}
