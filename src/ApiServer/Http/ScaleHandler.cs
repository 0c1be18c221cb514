using System.Text.Json;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Patch;
using KvCluster.ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// The scale subresource (autoscaling/v1 Scale) of Deployments, ReplicaSets and StatefulSets, and of
/// custom kinds whose CRD declares one: GET shows the desired and observed replicas and the selector;
/// PUT and PATCH change only the desired replicas (what `kubectl scale` and autoscalers use). A
/// custom kind's replicas and selector live where its CRD's specReplicasPath, statusReplicasPath and
/// labelSelectorPath say.
/// </summary>
internal static class ScaleHandler
{
    public static async Task HandleAsync(HttpContext ctx, ResourceStore store, RequestInfo info, string name, bool dryRun, string manager)
    {
        var ct = ctx.RequestAborted;
        switch (ctx.Request.Method)
        {
            case "GET":
                await Json.WriteAsync(ctx, 200, Scale(store.Kind, await store.GetAsync(info.Namespace, name, ct)));
                return;
            case "PUT":
                var body = Json.ParseObject(await Json.ReadBodyAsync(ctx.Request, ct), ctx.Request.ContentType);
                var precondition = body["metadata"]?["resourceVersion"]?.GetValue<string>();
                await Json.WriteAsync(ctx, 200, Scale(store.Kind, await SetReplicasAsync(store, info, name, _ => body, precondition, dryRun, manager, ct)));
                return;
            case "PATCH":
                var media = Json.MediaType(ctx.Request.ContentType);
                var patch = JsonNode.Parse(await Json.ReadBodyAsync(ctx.Request, ct));
                Func<JsonObject, JsonObject> change = (media, patch) switch
                {
                    ("application/merge-patch+json", JsonObject p) => scale => MergePatch.Apply(scale, p) as JsonObject ?? scale,
                    ("application/strategic-merge-patch+json", JsonObject p) => scale => StrategicMergePatch.Apply(scale, p),
                    ("application/json-patch+json", JsonArray ops) => scale => JsonPatch.Apply(scale, ops) as JsonObject ?? scale,
                    _ => throw ApiException.UnsupportedMediaType(ctx.Request.ContentType ?? ""),
                };
                await Json.WriteAsync(ctx, 200, Scale(store.Kind, await SetReplicasAsync(store, info, name, change, null, dryRun, manager, ct)));
                return;
            default:
                ctx.Response.Headers.Allow = "GET, PUT, PATCH";
                throw ApiException.MethodNotAllowed("the server does not allow this method on the requested resource");
        }
    }

    private static Task<JsonObject> SetReplicasAsync(ResourceStore store, RequestInfo info, string name, Func<JsonObject, JsonObject> change, string? precondition, bool dryRun, string manager, CancellationToken ct) =>
        store.WriteAsync(info.Namespace, name, obj =>
        {
            var old = (JsonObject)obj.DeepClone();
            var scale = change(Scale(store.Kind, obj));
            var replicas = scale["spec"]?["replicas"];
            if (replicas is null || replicas.GetValueKind() != JsonValueKind.Number || replicas.GetValue<long>() < 0)
            {
                throw ApiException.Invalid(store.Kind, name, [FieldError.InvalidValue("spec.replicas", replicas?.ToJsonString() ?? "null", "must be greater than or equal to 0")]);
            }

            Set(obj, Path(store.Kind.Scale?.SpecReplicas ?? ".spec.replicas"), replicas.DeepClone());
            // The scaler now owns the replicas field (managedFields).
            Apply.ServerSideApply.TrackUpdate(store.Kind, old, obj, manager, DateTimeOffset.UtcNow);
            return obj;
        }, precondition, null, dryRun, ct);

    private static string[] Path(string jsonPath) => jsonPath.TrimStart('.').Split('.');

    private static JsonNode? Get(JsonObject obj, string jsonPath)
    {
        JsonNode? node = obj;
        foreach (var part in Path(jsonPath))
        {
            node = node is JsonObject o ? o[part] : null;
        }

        return node;
    }

    private static void Set(JsonObject obj, string[] path, JsonNode value)
    {
        var node = obj;
        foreach (var part in path[..^1])
        {
            if (node[part] is not JsonObject child)
            {
                child = [];
                node[part] = child;
            }

            node = child;
        }

        node[path[^1]] = value;
    }

    /// <summary>The Scale view of a workload.</summary>
    private static JsonObject Scale(ResourceKind kind, JsonObject obj)
    {
        var meta = obj["metadata"]!;
        var selector = obj["spec"]?["selector"]?["matchLabels"] as JsonObject ?? [];
        var custom = kind.Scale;
        return new JsonObject
        {
            ["kind"] = "Scale",
            ["apiVersion"] = "autoscaling/v1",
            ["metadata"] = new JsonObject
            {
                ["name"] = meta["name"]?.DeepClone(),
                ["namespace"] = meta["namespace"]?.DeepClone(),
                ["uid"] = meta["uid"]?.DeepClone(),
                ["resourceVersion"] = meta["resourceVersion"]?.DeepClone(),
                ["creationTimestamp"] = meta["creationTimestamp"]?.DeepClone(),
            },
            ["spec"] = new JsonObject { ["replicas"] = custom is null ? obj["spec"]?["replicas"]?.DeepClone() ?? 1 : Get(obj, custom.SpecReplicas)?.DeepClone() ?? 0 },
            ["status"] = new JsonObject
            {
                ["replicas"] = Get(obj, custom?.StatusReplicas ?? ".status.replicas")?.DeepClone() ?? 0,
                ["selector"] = custom is null
                    ? string.Join(",", selector.Select(p => $"{p.Key}={p.Value}"))
                    : custom.LabelSelector is { } path ? Get(obj, path)?.DeepClone() ?? "" : "",
            },
        };
    }
}
