using System.Globalization;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Storage;

namespace KvCluster.ApiServer.Registry;

/// <summary>A DELETE's options (metav1.DeleteOptions) that the store acts on.</summary>
public sealed record DeleteOptions(string? PreconditionUid, string? PreconditionResourceVersion, long? GracePeriodSeconds, string? PropagationPolicy, bool DryRun)
{
    public static readonly DeleteOptions Default = new(null, null, null, null, false);

    public static DeleteOptions From(JsonObject? body, long? gracePeriodQuery, string? propagationQuery, bool dryRun) => new(
        body?["preconditions"]?["uid"]?.GetValue<string>(),
        body?["preconditions"]?["resourceVersion"]?.GetValue<string>(),
        gracePeriodQuery ?? body?["gracePeriodSeconds"]?.GetValue<long>(),
        propagationQuery ?? body?["propagationPolicy"]?.GetValue<string>(),
        dryRun || body?["dryRun"] is JsonArray { Count: > 0 });
}

public sealed partial class ResourceStore
{
    /// <summary>
    /// Deletes an object. A kind deleted gracefully (pods on a node) is only marked with its grace
    /// period (<see cref="GracefulDeletion"/>) until a delete with grace 0; with finalizers it is only
    /// marked (deletionTimestamp) and goes once the last finalizer is removed. Returns the object and
    /// whether it is gone (false: still terminating or finalizing).
    /// </summary>
    public async Task<(JsonObject Object, bool Gone)> DeleteAsync(string? ns, string name, DeleteOptions options, CancellationToken ct)
    {
        var key = Kind.Key(ns, name);
        for (var attempt = 0; ; attempt++)
        {
            var stored = await _store.GetAsync(key, ct) ?? throw ApiException.NotFound(Kind, name);
            var obj = ObjectJson.Parse(stored.Value, stored.ModRevision);
            CheckPreconditions(obj, options, name);
            var meta = (JsonObject)obj["metadata"]!;
            var finalizers = meta["finalizers"] as JsonArray ?? [];
            var plan = GracefulDeletion.Decide(obj, options.GracePeriodSeconds, _strategy, _time.GetUtcNow());
            if (plan.Step == GracefulDeletion.Step.Pending)
            {
                return (Typed(obj), false);
            }

            if (plan.Step == GracefulDeletion.Step.Mark && (plan.GracePeriod > 0 || finalizers.Count > 0))
            {
                if (options.DryRun)
                {
                    return (Typed(Graced(obj, plan)), false);
                }

                if (await TryGraceAsync(ns, name, stored.ModRevision, plan, ct) is { } graced)
                {
                    return (graced, false);
                }

                if (attempt >= RetriesOnRace)
                {
                    throw ApiException.Conflict(Kind, name, ApiException.ModifiedMessage);
                }

                continue;
            }

            if (finalizers.Count > 0 || options.PropagationPolicy is "Foreground" or "Orphan" && Kind.HasGeneration)
            {
                if (options.DryRun || meta["deletionTimestamp"] is not null)
                {
                    return (Typed(obj), false);
                }

                return (await MarkDeletedAsync(ns, name, options, ct), false);
            }

            if (options.DryRun)
            {
                return (Typed(obj), true);
            }

            var result = await _store.DeleteAsync(key, stored.ModRevision, ct);
            if (result.Succeeded)
            {
                if (Allocations is not null)
                {
                    await Allocations.ReleaseAsync(obj, null, ct);
                }

                return (Typed(obj), true);
            }

            if (result.Current is null)
            {
                throw ApiException.NotFound(Kind, name);
            }

            if (attempt >= RetriesOnRace)
            {
                throw ApiException.Conflict(Kind, name, ApiException.ModifiedMessage);
            }
        }
    }

    /// <summary>Writes a graceful deletion's mark on the object as read at <paramref name="revision"/>; null when it changed meanwhile (the caller decides again).</summary>
    private async Task<JsonObject?> TryGraceAsync(string? ns, string name, long revision, GracefulDeletion.Plan plan, CancellationToken ct)
    {
        try
        {
            return await WriteAsync(ns, name, o => Graced(o, plan), Rv(revision), DeletingSubresource, false, ct);
        }
        catch (ApiException e) when (e.Code == 409)
        {
            return null;
        }
    }

    private static JsonObject Graced(JsonObject obj, GracefulDeletion.Plan plan)
    {
        var m = (JsonObject)obj["metadata"]!;
        m["deletionTimestamp"] = Timestamp(plan.DeletionTimestamp);
        m["deletionGracePeriodSeconds"] = plan.GracePeriod;
        return obj;
    }

    /// <summary>The mark of an object that finalizers keep: deletion now, no grace period (Kubernetes' markAsDeleting).</summary>
    private Task<JsonObject> MarkDeletedAsync(string? ns, string name, DeleteOptions options, CancellationToken ct) =>
        WriteAsync(ns, name, o =>
        {
            var m = (JsonObject)o["metadata"]!;
            m["deletionTimestamp"] = Timestamp(_time.GetUtcNow());
            m["deletionGracePeriodSeconds"] = 0;
            var finalizers = m["finalizers"] as JsonArray ?? [];
            var extra = options.PropagationPolicy switch { "Foreground" => "foregroundDeletion", "Orphan" => "orphan", _ => null };
            if (extra is not null && !finalizers.Any(f => f?.GetValue<string>() == extra))
            {
                finalizers.Add(extra);
                m["finalizers"] = finalizers;
            }

            return o;
        }, null, DeletingSubresource, false, ct);

    /// <summary>Marks a write that changes deletion bookkeeping, which ordinary updates keep from the stored object.</summary>
    private const string DeletingSubresource = "deleting";

    /// <summary>Marks pods/binding's write, which sets spec.nodeName and a status condition together.</summary>
    internal const string BindingSubresource = "binding";

    private void CheckPreconditions(JsonObject obj, DeleteOptions options, string name)
    {
        var uid = obj["metadata"]?["uid"]?.GetValue<string>();
        if (options.PreconditionUid is { } wantUid && wantUid != uid)
        {
            throw ApiException.Conflict(Kind, name, $"Precondition failed: UID in precondition: {wantUid}, UID in object meta: {uid}");
        }

        var rv = obj["metadata"]?["resourceVersion"]?.GetValue<string>();
        if (options.PreconditionResourceVersion is { } wantRv && wantRv != rv)
        {
            throw ApiException.Conflict(Kind, name, $"Precondition failed: ResourceVersion in precondition: {wantRv}, ResourceVersion in object meta: {rv}");
        }
    }

    /// <summary>Deletes every object of a namespace (or all, <paramref name="ns"/> null) that the selectors match; returns them.</summary>
    public async Task<List<JsonObject>> DeleteCollectionAsync(string? ns, ListOptions selection, DeleteOptions options, CancellationToken ct)
    {
        var page = await ListAsync(ns, selection with { ResourceVersion = "", Limit = 0, Continue = null }, ct);
        var deleted = new List<JsonObject>();
        foreach (var obj in page.Items)
        {
            var meta = obj["metadata"]!;
            try
            {
                deleted.Add((await DeleteAsync(meta["namespace"]?.GetValue<string>(), meta["name"]!.GetValue<string>(), options, ct)).Object);
            }
            catch (ApiException e) when (e.Code == 404)
            {
                // Deleted by someone else meanwhile: the collection is as asked.
            }
        }

        return deleted;
    }

    internal static string Rv(long revision) => revision.ToString(CultureInfo.InvariantCulture);
}
