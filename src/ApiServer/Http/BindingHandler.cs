using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// pods/binding, what a scheduler posts to put a pod on a node: a v1 Binding naming the pod and, as its target,
/// the node. As kube-apiserver: the pod gets spec.nodeName, the binding's annotations and the PodScheduled
/// condition in one write, once only (a pod already on a node, being deleted or still gated is a conflict), and
/// the answer is a Status of Success (201).
/// </summary>
internal static class BindingHandler
{
    public static async Task HandleAsync(HttpContext ctx, ResourceStore pods, string ns, string name, bool dryRun, TimeProvider time)
    {
        if (ctx.Request.Method != "POST")
        {
            ctx.Response.Headers.Allow = "POST";
            throw ApiException.MethodNotAllowed("the server does not allow this method on the requested resource");
        }

        var ct = ctx.RequestAborted;
        var binding = Json.ParseObject(await Json.ReadBodyAsync(ctx.Request, ct), ctx.Request.ContentType);
        if (binding["kind"] is { } kind && kind.ToString() is { Length: > 0 } k && k != "Binding")
        {
            throw ApiException.BadRequest($"not a Binding object: {k}");
        }

        var meta = binding["metadata"] as JsonObject;
        if (meta?["name"]?.ToString() != name)
        {
            throw ApiException.BadRequest("name in URL does not match name in Binding object");
        }

        if (Validate(binding) is { Count: > 0 } errors)
        {
            // kube-apiserver returns the field errors as a plain error: 500, no reason.
            throw new ApiException(500, "", errors.Count == 1 ? errors[0].ToString() : "[" + string.Join(", ", errors) + "]");
        }

        var node = binding["target"]!["name"]!.ToString();
        var uid = meta["uid"]?.ToString();
        var resourceVersion = meta["resourceVersion"]?.ToString();
        await pods.WriteAsync(ns, name, pod => Bind(pod, name, uid, node, meta["annotations"] as JsonObject, time.GetUtcNow()),
            resourceVersion, ResourceStore.BindingSubresource, dryRun, ct);
        await Json.WriteAsync(ctx, 201, new JsonObject
        {
            ["kind"] = "Status",
            ["apiVersion"] = "v1",
            ["metadata"] = new JsonObject(),
            ["status"] = "Success",
            ["code"] = 201,
        });
    }

    /// <summary>Kubernetes' ValidatePodBinding: a target of kind Node (or none), with a name.</summary>
    internal static List<FieldError> Validate(JsonObject binding)
    {
        var errors = new List<FieldError>();
        var target = binding["target"] as JsonObject;
        var kind = target?["kind"]?.ToString() ?? "";
        if (kind.Length > 0 && kind != "Node")
        {
            errors.Add(new FieldError("target.kind", "FieldValueNotSupported", "supported values: \"Node\", \"<empty>\"", kind));
        }

        if (string.IsNullOrEmpty(target?["name"]?.ToString()))
        {
            errors.Add(FieldError.Required("target.name"));
        }

        return errors;
    }

    /// <summary>The pod after the binding, or a conflict on pods/binding saying why it cannot be bound.</summary>
    internal static JsonObject Bind(JsonObject pod, string name, string? uid, string node, JsonObject? annotations, DateTimeOffset now)
    {
        var meta = (JsonObject)pod["metadata"]!;
        if (!string.IsNullOrEmpty(uid) && meta["uid"]?.ToString() != uid)
        {
            throw Conflict("pods", name, $"Precondition failed: UID in precondition: {uid}, UID in object meta: {meta["uid"]}");
        }

        if (meta["deletionTimestamp"] is not null)
        {
            throw Conflict("pods/binding", name, $"pod {name} is being deleted, cannot be assigned to a host");
        }

        var spec = (JsonObject)pod["spec"]!;
        if (spec["nodeName"]?.ToString() is { Length: > 0 } current)
        {
            throw Conflict("pods/binding", name, $"pod {name} is already assigned to node \"{current}\"");
        }

        if (spec["schedulingGates"] is JsonArray { Count: > 0 })
        {
            throw Conflict("pods/binding", name, $"pod {name} has non-empty .spec.schedulingGates");
        }

        spec["nodeName"] = node;
        if (annotations is { Count: > 0 })
        {
            var own = meta["annotations"] as JsonObject ?? [];
            foreach (var (key, value) in annotations)
            {
                own[key] = value?.DeepClone();
            }

            meta["annotations"] = own;
        }

        SetScheduled((JsonObject)(pod["status"] ??= new JsonObject()), now);
        return pod;
    }

    /// <summary>PodScheduled=True, as podutil.UpdatePodCondition: the transition time moves only when the status changes.</summary>
    private static void SetScheduled(JsonObject status, DateTimeOffset now)
    {
        var conditions = status["conditions"] as JsonArray ?? [];
        status["conditions"] = conditions;
        var existing = conditions.OfType<JsonObject>().FirstOrDefault(c => c["type"]?.ToString() == "PodScheduled");
        if (existing is null)
        {
            conditions.Add(new JsonObject
            {
                ["type"] = "PodScheduled",
                ["status"] = "True",
                ["lastProbeTime"] = null,
                ["lastTransitionTime"] = ResourceStore.Timestamp(now),
            });
            return;
        }

        if (existing["status"]?.ToString() != "True")
        {
            existing["lastTransitionTime"] = ResourceStore.Timestamp(now);
        }

        existing["status"] = "True";
        existing["lastProbeTime"] = null;
        existing.Remove("reason");
        existing.Remove("message");
    }

    private static ApiException Conflict(string resource, string name, string why) =>
        new(409, "Conflict", $"Operation cannot be fulfilled on {resource} \"{name}\": {why}")
        {
            Details = new JsonObject { ["name"] = name, ["kind"] = resource },
        };
}
