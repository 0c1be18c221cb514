using System.Globalization;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Storage;

namespace KvCluster.ApiServer.Registry;

public sealed partial class ResourceStore
{
    /// <summary>How often an unconditional write is retried on a newer object before it gives up with 409 (bounded, but far beyond real contention).</summary>
    private const int RetriesOnRace = 100;

    public async Task<JsonObject> CreateAsync(string? ns, JsonObject obj, bool dryRun, CancellationToken ct)
    {
        CheckType(obj);
        obj = Conversion?.ToStorage(obj) ?? obj;
        var meta = Metadata(obj);
        ns = CheckNamespace(meta, ns);
        var name = meta["name"]?.GetValue<string>();
        if (string.IsNullOrEmpty(name))
        {
            var prefix = meta["generateName"]?.GetValue<string>();
            if (string.IsNullOrEmpty(prefix))
            {
                throw ApiException.Invalid(Kind, "", [FieldError.Required("metadata.name", "name or generateName is required")]);
            }

            name = NameRules.Generate(prefix);
            meta["name"] = name;
        }

        if (ns is not null)
        {
            await _namespaces.EnsureWritableAsync(ns, Kind, name, ct);
        }

        meta["uid"] = Guid.NewGuid().ToString();
        meta["creationTimestamp"] = Timestamp(_time.GetUtcNow());
        meta.Remove("resourceVersion");
        meta.Remove("deletionTimestamp");
        meta.Remove("deletionGracePeriodSeconds");
        if (Kind.HasGeneration)
        {
            meta["generation"] = 1;
        }
        else
        {
            meta.Remove("generation");
        }

        _strategy.PrepareForCreate(obj);
        _strategy.Canonicalize(obj);
        Validate(obj, null, name);
        if (dryRun)
        {
            return Typed(obj);
        }

        if (Allocations is not null)
        {
            await Allocations.AllocateAsync(obj, null, ct);
        }

        var result = await _store.CreateAsync(Kind.Key(ns, name), ObjectJson.ToStored(obj), ct);
        if (!result.Succeeded)
        {
            if (Allocations is not null)
            {
                await Allocations.ReleaseAsync(obj, null, ct);
            }

            throw ApiException.AlreadyExists(Kind, name);
        }

        ObjectJson.SetResourceVersion(obj, result.Revision);
        return Typed(obj);
    }

    /// <summary>PUT: replaces the object (or only its status, <paramref name="subresource"/> "status").</summary>
    /// <param name="track">Given the stored object and the new one, returns what to store (field ownership).</param>
    public async Task<JsonObject> UpdateAsync(string? ns, string name, JsonObject obj, string? subresource, bool dryRun, CancellationToken ct, Func<JsonObject, JsonObject, JsonObject>? track = null)
    {
        CheckType(obj);
        var meta = Metadata(obj);
        CheckNamespace(meta, ns);
        var bodyName = meta["name"]?.GetValue<string>();
        if (bodyName != name)
        {
            throw ApiException.BadRequest($"the name of the object ({bodyName}) does not match the name on the URL ({name})");
        }

        var precondition = meta["resourceVersion"]?.GetValue<string>();
        return await WriteAsync(ns, name, old => track is null ? obj : track(old, (JsonObject)obj.DeepClone()), precondition, subresource, dryRun, ct);
    }

    /// <summary>
    /// The read-modify-write every update and patch goes through. <paramref name="change"/> builds the
    /// new object from the stored one; with a resourceVersion precondition a race is a 409, without one
    /// the change is simply retried on the newer object (as Kubernetes does for patches and unconditional updates).
    /// </summary>
    internal async Task<JsonObject> WriteAsync(string? ns, string name, Func<JsonObject, JsonObject> change, string? precondition, string? subresource, bool dryRun, CancellationToken ct)
    {
        var key = Kind.Key(ns, name);
        for (var attempt = 0; ; attempt++)
        {
            var stored = await _store.GetAsync(key, ct) ?? throw ApiException.NotFound(Kind, name);
            var old = ObjectJson.Parse(stored.Value, stored.ModRevision);
            if (!string.IsNullOrEmpty(precondition) && precondition != stored.ModRevision.ToString(CultureInfo.InvariantCulture))
            {
                throw ApiException.Conflict(Kind, name, ApiException.ModifiedMessage);
            }

            var changed = change(Conversion is null ? (JsonObject)old.DeepClone() : Typed(old));
            if (Conversion is not null)
            {
                CheckType(changed);
                changed = Conversion.ToStorage(changed);
            }

            var updated = Merge(old, changed, subresource);
            _strategy.PrepareForUpdate(updated, old);
            _strategy.Canonicalize(updated);
            Validate(updated, old, name);
            if (Allocations is not null && !dryRun)
            {
                // Only what the old object did not hold is allocated (nothing, for an update that changes nothing).
                await Allocations.AllocateAsync(updated, old, ct);
            }

            var bytes = ObjectJson.ToStored(updated);
            if (bytes.AsSpan().SequenceEqual(stored.Value) || dryRun)
            {
                // Nothing changed: Kubernetes writes nothing and the resourceVersion stays.
                ObjectJson.SetResourceVersion(updated, stored.ModRevision);
                return Typed(updated);
            }

            // The last finalizer of an object being deleted is gone: the object goes with it, unless it
            // still has a grace period to use up (a pod its node has not stopped yet).
            var finalized = old["metadata"]?["deletionTimestamp"] is not null && (old["metadata"]?["finalizers"] as JsonArray ?? []).Count > 0
                && (updated["metadata"]?["finalizers"] as JsonArray ?? []).Count == 0 && GracefulDeletion.GraceExhausted(old);
            var result = finalized ? await _store.DeleteAsync(key, stored.ModRevision, ct) : await _store.UpdateAsync(key, bytes, stored.ModRevision, ct);
            if (Allocations is not null)
            {
                // Written: release what the old object held and the new one does not; failed: what was allocated for the new one.
                await (result.Succeeded ? Allocations.ReleaseAsync(old, finalized ? null : updated, ct) : Allocations.ReleaseAsync(updated, old, ct));
            }

            if (result.Succeeded)
            {
                ObjectJson.SetResourceVersion(updated, result.Revision);
                return Typed(updated);
            }

            if (result.Current is null)
            {
                throw ApiException.NotFound(Kind, name);
            }

            if (!string.IsNullOrEmpty(precondition) || attempt >= RetriesOnRace)
            {
                throw ApiException.Conflict(Kind, name, ApiException.ModifiedMessage);
            }

            if (attempt >= 3)
            {
                // Many writers on one object: spread the retries out so that each round has a winner.
                await Task.Delay(Random.Shared.Next(1, 5 + attempt), ct);
            }
        }
    }

    /// <summary>
    /// The stored object after an update: identity and bookkeeping kept from <paramref name="old"/>;
    /// a status update changes only status, a main-resource update never changes status (when the
    /// kind has a status subresource); generation counts spec changes.
    /// </summary>
    private JsonObject Merge(JsonObject old, JsonObject updated, string? subresource)
    {
        if (subresource is DeletingSubresource or BindingSubresource)
        {
            Metadata(updated).Remove("resourceVersion");
            return updated;
        }

        if (subresource == "status")
        {
            var result = (JsonObject)old.DeepClone();
            result["status"] = updated["status"]?.DeepClone();
            return result;
        }

        if (Conversion is null)
        {
            CheckType(updated);
        }

        var meta = Metadata(updated);
        var oldMeta = Metadata(old);
        foreach (var field in new[] { "uid", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "generation", "namespace", "name" })
        {
            meta[field] = oldMeta[field]?.DeepClone();
            if (meta[field] is null)
            {
                meta.Remove(field);
            }
        }

        meta.Remove("resourceVersion");
        updated["apiVersion"] = Conversion?.StorageVersion ?? Kind.GroupVersion;
        updated["kind"] = Kind.Kind;
        if (Kind.Subresources.Contains("status"))
        {
            updated["status"] = old["status"]?.DeepClone();
            if (updated["status"] is null)
            {
                updated.Remove("status");
            }
        }

        if (Kind.HasGeneration && !JsonNode.DeepEquals(old["spec"], updated["spec"]))
        {
            meta["generation"] = (oldMeta["generation"]?.GetValue<long>() ?? 0) + 1;
        }

        return updated;
    }

    private void Validate(JsonObject obj, JsonObject? old, string name)
    {
        var errors = new List<FieldError>();
        var meta = Metadata(obj);
        if (old is null && (Kind.LabelNames ? NameRules.CheckLabel(name) : NameRules.CheckSubdomain(name)) is { } why)
        {
            errors.Add(FieldError.InvalidValue("metadata.name", name, why));
        }

        foreach (var (key, value) in meta["labels"] as JsonObject ?? [])
        {
            if (NameRules.CheckLabelKey(key) is { } keyWhy)
            {
                errors.Add(FieldError.InvalidValue("metadata.labels", key, keyWhy));
            }
            else if (value is null || value.GetValueKind() != System.Text.Json.JsonValueKind.String)
            {
                throw ApiException.BadRequest($"json: cannot unmarshal {value?.GetValueKind().ToString().ToLowerInvariant() ?? "null"} into Go struct field ObjectMeta.metadata.labels of type string");
            }
            else if (NameRules.CheckLabelValue(value.GetValue<string>()) is { } valueWhy)
            {
                errors.Add(FieldError.InvalidValue("metadata.labels", value.GetValue<string>(), valueWhy));
            }
        }

        errors.AddRange(_strategy.Validate(obj, old));
        if (errors.Count > 0)
        {
            throw ApiException.Invalid(Kind, name, errors);
        }
    }

    private void CheckType(JsonObject obj)
    {
        var apiVersion = obj["apiVersion"]?.GetValue<string>();
        var kind = obj["kind"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(apiVersion) && apiVersion != Kind.GroupVersion)
        {
            throw ApiException.BadRequest($"the API version in the data ({apiVersion}) does not match the expected API version ({Kind.GroupVersion})");
        }

        if (!string.IsNullOrEmpty(kind) && kind != Kind.Kind)
        {
            throw ApiException.BadRequest($"the kind in the data ({kind}) does not match the expected kind ({Kind.Kind})");
        }

        obj["apiVersion"] = Kind.GroupVersion;
        obj["kind"] = Kind.Kind;
    }

    private static JsonObject Metadata(JsonObject obj)
    {
        if (obj["metadata"] is JsonObject meta)
        {
            return meta;
        }

        if (obj["metadata"] is not null)
        {
            throw ApiException.BadRequest("json: cannot unmarshal metadata: it must be an object");
        }

        obj["metadata"] = meta = [];
        return meta;
    }

    /// <summary>The namespace the object goes to: the URL's; the body's must agree with it.</summary>
    private string? CheckNamespace(JsonObject meta, string? ns)
    {
        if (!Kind.Namespaced)
        {
            meta.Remove("namespace");
            return null;
        }

        var bodyNs = meta["namespace"]?.GetValue<string>();
        if (!string.IsNullOrEmpty(bodyNs) && ns is not null && bodyNs != ns)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }

        ns ??= string.IsNullOrEmpty(bodyNs) ? "default" : bodyNs;
        meta["namespace"] = ns;
        return ns;
    }

    internal static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
