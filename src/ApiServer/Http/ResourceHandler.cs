using KvCluster.ApiServer.Apply;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Patch;
using KvCluster.ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// The REST verbs on resource URLs: get, list, watch, create, update, patch, delete, deletecollection.
/// Each handler reads the request, calls the kind's <see cref="ResourceStore"/>, and writes the answer
/// (JSON, or a Table when kubectl asks for one). Pods' log, exec and attach go to the pod's kubelet
/// (<see cref="PodSubresources"/>).
/// </summary>
internal sealed partial class ResourceHandler(ApiRegistry registry, Tables tables, PodSubresources pods)
{
    public async Task HandleAsync(HttpContext ctx, RequestInfo info)
    {
        var store = await registry.FindAsync(info.Group, info.Version, info.Resource, ctx.RequestAborted)
            ?? throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        var kind = store.Kind;
        if (info.Namespace is not null && !kind.Namespaced)
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        }

        if (info.Subresource is not null && !kind.Subresources.Contains(info.Subresource))
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        }

        var ct = ctx.RequestAborted;
        var q = ctx.Request.Query;
        var dryRun = q["dryRun"].Contains("All");
        if (info is { Name: { } podName, Namespace: { } podNamespace } && PodSubresources.Serves(info.Subresource) && kind is { Group: "", Kind: "Pod" })
        {
            await pods.HandleAsync(ctx, store, podNamespace, podName, info.Subresource!);
            return;
        }

        if (info is { Subresource: ResourceStore.BindingSubresource, Name: { } bound, Namespace: { } boundNamespace } && kind is { Group: "", Kind: "Pod" })
        {
            await BindingHandler.HandleAsync(ctx, store, boundNamespace, bound, dryRun, TimeProvider.System);
            return;
        }

        if (info is { Subresource: "scale", Name: { } scaled })
        {
            await ScaleHandler.HandleAsync(ctx, store, info, scaled, dryRun, Manager(ctx));
            return;
        }

        switch (ctx.Request.Method, info.Name)
        {
            case ("GET", null) when IsWatch(q):
                await WatchAsync(ctx, store, info.Namespace, ListOptionsFrom(q, kind));
                break;
            case ("GET", null):
                await ListAsync(ctx, store, info.Namespace, ListOptionsFrom(q, kind));
                break;
            case ("GET", { } name) when IsWatch(q):
                // The old per-object watch form: a watch with metadata.name pinned.
                await WatchAsync(ctx, store, info.Namespace, ListOptionsFrom(q, kind) with { Fields = FieldSelector.Parse("metadata.name=" + name, kind) });
                break;
            case ("GET", { } name):
                await WriteObjectAsync(ctx, kind, 200, await store.GetAsync(info.Namespace, name, ct));
                break;
            case ("POST", null):
                var created = await ValidatedBodyAsync(ctx, kind);
                ServerSideApply.TrackUpdate(kind, null, created, Manager(ctx), DateTimeOffset.UtcNow);
                await WriteObjectAsync(ctx, kind, 201, await store.CreateAsync(info.Namespace, created, dryRun, ct));
                break;
            case ("PUT", { } name):
                await WriteObjectAsync(ctx, kind, 200, await store.UpdateAsync(info.Namespace, name, await ValidatedBodyAsync(ctx, kind), info.Subresource, dryRun, ct, Tracked(ctx, kind)));
                break;
            case ("PATCH", { } name):
                await PatchAsync(ctx, store, info, name, dryRun);
                break;
            case ("DELETE", { } name):
                await DeleteAsync(ctx, store, info.Namespace, name, await DeleteOptionsFrom(ctx, dryRun));
                break;
            case ("DELETE", null):
                var deleted = await store.DeleteCollectionAsync(info.Namespace, ListOptionsFrom(q, kind), await DeleteOptionsFrom(ctx, dryRun), ct);
                await Json.WriteAsync(ctx, 200, ListDocument(kind, deleted, new JsonObject()));
                break;
            default:
                ctx.Response.Headers.Allow = info.Name is null ? "GET, POST, DELETE" : "GET, PUT, PATCH, DELETE";
                throw ApiException.MethodNotAllowed($"the server does not allow this method on the requested resource");
        }
    }

    private static bool IsWatch(IQueryCollection q) => q["watch"].ToString() is "true" or "1";

    private async Task ListAsync(HttpContext ctx, ResourceStore store, string? ns, ListOptions options)
    {
        var table = Tables.Requested(ctx.Request.Headers.Accept);
        var page = await store.ListAsync(ns, options, ctx.RequestAborted, raw: table is null);
        var meta = new JsonObject { ["resourceVersion"] = page.Revision.ToString(CultureInfo.InvariantCulture) };
        if (page.Continue is not null)
        {
            meta["continue"] = page.Continue;
        }

        if (page.RemainingItemCount is { } remaining)
        {
            meta["remainingItemCount"] = remaining;
        }

        if (table is { } version)
        {
            await WriteTableAsync(ctx, tables.Build(store.Kind, page.Items, version, ctx.Request.Query["includeObject"], meta), version);
            return;
        }

        await WriteListAsync(ctx, store.Kind, page, meta);
    }

    /// <summary>
    /// A list, streamed: items go out as they are (cached objects are shared and only read; raw items
    /// are already JSON), with a flush every few hundred so a large list never sits whole in a buffer.
    /// </summary>
    private static async Task WriteListAsync(HttpContext ctx, ResourceKind kind, ListPage page, JsonObject meta)
    {
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(ctx.Response.BodyWriter);
        w.WriteStartObject();
        w.WriteString("kind", kind.ListKind);
        w.WriteString("apiVersion", kind.GroupVersion);
        w.WritePropertyName("metadata");
        meta.WriteTo(w);
        w.WriteStartArray("items");
        var count = page.Raw?.Count ?? page.Items.Count;
        for (var i = 0; i < count; i++)
        {
            if (page.Raw is { } raw)
            {
                w.WriteRawValue(raw[i], skipInputValidation: true);
            }
            else
            {
                page.Items[i].WriteTo(w);
            }

            if (i % 256 == 255)
            {
                await w.FlushAsync(ctx.RequestAborted);
            }
        }

        w.WriteEndArray();
        w.WriteEndObject();
        await w.FlushAsync(ctx.RequestAborted);
    }

    private static JsonObject ListDocument(ResourceKind kind, IEnumerable<JsonObject> items, JsonObject meta)
    {
        var array = new JsonArray();
        foreach (var item in items)
        {
            array.Add(item.DeepClone());
        }

        return new JsonObject { ["kind"] = kind.ListKind, ["apiVersion"] = kind.GroupVersion, ["metadata"] = meta, ["items"] = array };
    }

    private async Task WriteObjectAsync(HttpContext ctx, ResourceKind kind, int status, JsonObject obj)
    {
        if (Tables.Requested(ctx.Request.Headers.Accept) is { } version)
        {
            var table = tables.Build(kind, [obj], version, ctx.Request.Query["includeObject"], new JsonObject { ["resourceVersion"] = obj["metadata"]?["resourceVersion"]?.DeepClone() });
            ctx.Response.StatusCode = status;
            await WriteTableAsync(ctx, table, version, status);
            return;
        }

        await Json.WriteAsync(ctx, status, obj);
    }

    private static async Task WriteTableAsync(HttpContext ctx, JsonObject table, string version, int status = 200)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = Tables.ContentType(version);
        await ctx.Response.Body.WriteAsync(JsonSerializer.SerializeToUtf8Bytes(table), ctx.RequestAborted);
    }

    private async Task DeleteAsync(HttpContext ctx, ResourceStore store, string? ns, string name, DeleteOptions options)
    {
        var kind = store.Kind;
        if (kind is { Group: "", Kind: "Namespace" })
        {
            await WriteObjectAsync(ctx, kind, 200, await registry.DeleteNamespaceAsync(name, options, ctx.RequestAborted));
            return;
        }

        var (obj, gone) = await store.DeleteAsync(ns, name, options, ctx.RequestAborted);
        if (kind.ReturnDeletedObject || !gone)
        {
            await WriteObjectAsync(ctx, kind, 200, obj);
            return;
        }

        await Json.WriteAsync(ctx, 200, Json.Success(kind, name, obj["metadata"]?["uid"]?.GetValue<string>()));
    }

    private async Task PatchAsync(HttpContext ctx, ResourceStore store, RequestInfo info, string name, bool dryRun)
    {
        var contentType = ctx.Request.ContentType;
        var media = Json.MediaType(contentType);
        var body = await Json.ReadBodyAsync(ctx.Request, ctx.RequestAborted);
        if (media == "application/apply-patch+yaml")
        {
            await ApplyAsync(ctx, store, info, name, Json.ParseObject(body, contentType), dryRun);
            return;
        }

        JsonNode? patch;
        try
        {
            patch = JsonNode.Parse(body);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("error decoding patch: " + e.Message);
        }

        Func<JsonObject, JsonObject> change = media switch
        {
            "application/merge-patch+json" when patch is JsonObject => current => MergePatch.Apply(current, patch) as JsonObject ?? current,
            "application/strategic-merge-patch+json" when patch is JsonObject smp => current => StrategicMergePatch.Apply(current, smp),
            "application/json-patch+json" when patch is JsonArray ops => current => JsonPatch.Apply(current, ops) as JsonObject
                ?? throw ApiException.BadRequest("the patch result is not an object"),
            "application/merge-patch+json" or "application/json-patch+json" or "application/strategic-merge-patch+json" => throw ApiException.BadRequest($"the body of a {media} patch must be a JSON {(media.Contains("merge", StringComparison.Ordinal) ? "object" : "array")}"),
            _ => throw ApiException.UnsupportedMediaType(contentType ?? ""),
        };

        var patchOnly = change;
        var track = Tracked(ctx, store.Kind);
        change = current => track(current, Validated(ctx, store.Kind, patchOnly((JsonObject)current.DeepClone())));

        // A patch that names a resourceVersion is a precondition, as with an update.
        var precondition = (patch as JsonObject)?["metadata"]?["resourceVersion"]?.GetValue<string>();
        var result = await store.WriteAsync(info.Namespace, name, change, media is "application/merge-patch+json" or "application/strategic-merge-patch+json" ? precondition : null, info.Subresource, dryRun, ctx.RequestAborted);
        await WriteObjectAsync(ctx, store.Kind, 200, result);
    }

    /// <summary>
    /// PATCH with application/apply-patch+yaml: server-side apply as <c>fieldManager</c> (required),
    /// taking conflicting fields over with force=true; an absent object is created (201).
    /// </summary>
    private async Task ApplyAsync(HttpContext ctx, ResourceStore store, RequestInfo info, string name, JsonObject config, bool dryRun)
    {
        var q = ctx.Request.Query;
        string manager = q["fieldManager"].ToString();
        if (manager.Length == 0)
        {
            throw ApiException.BadRequest("PATCH, application/apply-patch+yaml: fieldManager is required for apply requests");
        }

        if (config["metadata"]?["name"]?.GetValue<string>() is { } configName && configName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({configName}) does not match the name on the URL ({name})");
        }

        FieldValidation.Apply(ctx, store.Kind, config);
        bool force = q["force"].ToString() == "true";
        var now = DateTimeOffset.UtcNow;
        try
        {
            var result = await store.WriteAsync(info.Namespace, name, live => ServerSideApply.Apply(store.Kind, live, config, manager, force, now), null, info.Subresource, dryRun, ctx.RequestAborted);
            await WriteObjectAsync(ctx, store.Kind, 200, result);
        }
        catch (ApiException e) when (e.Code == 404 && info.Subresource is null)
        {
            var obj = ServerSideApply.Apply(store.Kind, null, config, manager, force, now);
            var meta = (JsonObject)obj["metadata"]!;
            meta["name"] = name;
            await WriteObjectAsync(ctx, store.Kind, 201, await store.CreateAsync(info.Namespace, obj, dryRun, ctx.RequestAborted));
        }
    }

    /// <summary>The manager of a write: the fieldManager parameter, else the client's user agent up to its first '/', as Kubernetes does.</summary>
    private static string Manager(HttpContext ctx)
    {
        string m = ctx.Request.Query["fieldManager"].ToString();
        if (m.Length > 0)
        {
            return m;
        }

        string agent = ctx.Request.Headers.UserAgent.ToString();
        int slash = agent.IndexOf('/');
        return slash > 0 ? agent[..slash] : agent.Length > 0 ? agent : "unknown";
    }

    /// <summary>Field ownership for a non-apply write: managedFields kept when the body leaves them out, and the manager's changes recorded.</summary>
    private static Func<JsonObject, JsonObject, JsonObject> Tracked(HttpContext ctx, ResourceKind kind)
    {
        string manager = Manager(ctx);
        return (old, updated) =>
        {
            if (updated["metadata"] is JsonObject meta && meta["managedFields"] is null && old["metadata"]?["managedFields"] is { } kept)
            {
                meta["managedFields"] = kept.DeepClone();
            }

            ServerSideApply.TrackUpdate(kind, old, updated, manager, DateTimeOffset.UtcNow);
            return updated;
        };
    }

    private static async Task<JsonObject> ValidatedBodyAsync(HttpContext ctx, ResourceKind kind)
    {
        var duplicates = new List<string>();
        var obj = Json.ParseObject(await Json.ReadBodyAsync(ctx.Request, ctx.RequestAborted), ctx.Request.ContentType, duplicates);
        FieldValidation.Apply(ctx, kind, obj, duplicates);
        return obj;
    }

    private static JsonObject Validated(HttpContext ctx, ResourceKind kind, JsonObject obj)
    {
        FieldValidation.Apply(ctx, kind, obj);
        return obj;
    }

    private static async Task<DeleteOptions> DeleteOptionsFrom(HttpContext ctx, bool dryRun)
    {
        var body = await Json.ReadBodyAsync(ctx.Request, ctx.RequestAborted);
        var options = body.Length == 0 ? null : Json.ParseObject(body, ctx.Request.ContentType);
        var q = ctx.Request.Query;
        long? grace = long.TryParse(q["gracePeriodSeconds"], out var g) ? g : null;
        var propagation = q["propagationPolicy"].ToString();
        return DeleteOptions.From(options, grace, propagation.Length > 0 ? propagation : null, dryRun);
    }

    private static ListOptions ListOptionsFrom(IQueryCollection q, ResourceKind kind) => new()
    {
        Labels = LabelSelector.Parse(q["labelSelector"]),
        Fields = FieldSelector.Parse(q["fieldSelector"], kind),
        ResourceVersion = q["resourceVersion"].ToString(),
        ResourceVersionMatch = q["resourceVersionMatch"].ToString(),
        Limit = long.TryParse(q["limit"], out var limit) && limit > 0 ? limit : 0,
        Continue = q["continue"].ToString() is { Length: > 0 } c ? c : null,
        AllowWatchBookmarks = q["allowWatchBookmarks"].ToString() is "true" or "1",
        Timeout = long.TryParse(q["timeoutSeconds"], out var t) && t > 0 ? TimeSpan.FromSeconds(t) : null,
    };
}
