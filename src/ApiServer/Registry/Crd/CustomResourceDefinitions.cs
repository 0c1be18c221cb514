using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;

namespace KvCluster.ApiServer.Registry.Crd;

/// <summary>
/// Serves what CustomResourceDefinitions declare (apiextensions-apiserver's work): every served version
/// of a CRD becomes a kind of the registry, stored under /registry/&lt;group&gt;/&lt;plural&gt;/, with
/// its schema's pruning and validation and its printer columns; the CRD's status says it is
/// Established. A CRD being deleted stops being served, its objects are deleted, then its cleanup
/// finalizer is removed. Kept up to date by a watch on the CRDs, and on demand: a request for a kind
/// not served first catches up, so a CRD just created is served at once.
/// </summary>
public sealed class CustomResourceDefinitions(ApiRegistry registry, ILogger log) : IAsyncDisposable
{
    private readonly SemaphoreSlim _sync = new(1, 1);
    private readonly Dictionary<string, (string ResourceVersion, string StoragePrefix)> _served = [];
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;

    private ResourceStore Crds => registry.Find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!;

    internal async Task StartAsync(CancellationToken ct)
    {
        await SyncAsync(ct);
        _loop = Task.Run(() => FollowAsync(_stop.Token));
    }

    /// <summary>Brings the served kinds up to date with the CRDs in the store (a consistent read of them).</summary>
    public async Task<bool> CatchUpAsync(CancellationToken ct)
    {
        await SyncAsync(ct);
        return true;
    }

    private async Task FollowAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var events = await Crds.WatchAsync(null, new ListOptions { ResourceVersion = "" }, ct);
                await foreach (var _ in events.WithCancellation(ct))
                {
                    await SyncAsync(ct);
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is ApiException or InvalidOperationException or IOException)
            {
                ApiServerLog.WatchCacheRestart(log, "customresourcedefinitions", e.Message);
                await Task.Delay(500, ct).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private async Task SyncAsync(CancellationToken ct)
    {
        await _sync.WaitAsync(ct);
        try
        {
            var crds = (await Crds.ListAsync(null, new ListOptions(), ct)).Items;
            foreach (var crd in crds)
            {
                await ApplyAsync(crd, ct);
            }

            var present = crds.Select(c => c["metadata"]!["name"]!.GetValue<string>()).ToHashSet();
            foreach (var gone in _served.Keys.Where(n => !present.Contains(n)).ToList())
            {
                await registry.StopServingAsync(_served[gone].StoragePrefix);
                _served.Remove(gone);
            }
        }
        finally
        {
            _sync.Release();
        }
    }

    private async Task ApplyAsync(JsonObject crd, CancellationToken ct)
    {
        var meta = (JsonObject)crd["metadata"]!;
        var name = meta["name"]!.GetValue<string>();
        var rv = meta["resourceVersion"]?.GetValue<string>() ?? "";
        if (meta["deletionTimestamp"] is not null)
        {
            await CleanUpAsync(crd, name, ct);
            return;
        }

        if (_served.TryGetValue(name, out var served) && served.ResourceVersion == rv)
        {
            return;
        }

        var kinds = Kinds(crd);
        if (kinds.Count == 0)
        {
            return;
        }

        await registry.ServeAsync(kinds, ct);
        _served[name] = (rv, kinds[0].Kind.StoragePrefix);
        if (crd["status"]?["acceptedNames"] is null)
        {
            await EstablishAsync(name, ct);
        }
    }

    /// <summary>One kind per served version.</summary>
    internal static List<(ResourceKind Kind, IKindStrategy Strategy)> Kinds(JsonObject crd)
    {
        var spec = (JsonObject)crd["spec"]!;
        var group = spec["group"]!.GetValue<string>();
        var names = (JsonObject)spec["names"]!;
        var kind = names["kind"]!.GetValue<string>();
        var plural = names["plural"]!.GetValue<string>();
        var rows = new List<(ResourceKind, IKindStrategy)>();
        foreach (var v in (spec["versions"] as JsonArray ?? []).OfType<JsonObject>().Where(v => v["served"]?.GetValue<bool>() != false))
        {
            var status = v["subresources"]?["status"] is not null;
            var scale = v["subresources"]?["scale"] is JsonObject sc
                ? new ScalePaths(sc["specReplicasPath"]?.GetValue<string>() ?? ".spec.replicas", sc["statusReplicasPath"]?.GetValue<string>() ?? ".status.replicas", sc["labelSelectorPath"]?.GetValue<string>())
                : null;
            var row = new ResourceKind(group, v["name"]!.GetValue<string>(), kind, plural, names["singular"]?.GetValue<string>() ?? kind.ToLowerInvariant(), spec["scope"]?.GetValue<string>() == "Namespaced")
            {
                ShortNames = [.. (names["shortNames"] as JsonArray ?? []).Select(n => n!.GetValue<string>())],
                Categories = [.. (names["categories"] as JsonArray ?? []).Select(n => n!.GetValue<string>())],
                Subresources = [.. status ? ["status"] : Array.Empty<string>(), .. scale is null ? Array.Empty<string>() : ["scale"]],
                Scale = scale,
                HasGeneration = true,
                StorageResource = $"{group}/{plural}",
                Columns = PrinterColumns.For(v["additionalPrinterColumns"] as JsonArray),
                Schema = v["schema"]?["openAPIV3Schema"]?.DeepClone() as JsonObject,
            };
            var schema = StructuralSchema.Parse(v["schema"]?["openAPIV3Schema"] as JsonObject ?? new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true });
            rows.Add((row, new CustomResourceStrategy(schema, status)));
        }

        return rows;
    }

    /// <summary>The CRD's status: its names accepted and the kind served (what `kubectl wait --for condition=established` waits for).</summary>
    private async Task EstablishAsync(string name, CancellationToken ct)
    {
        var now = ResourceStore.Timestamp(DateTimeOffset.UtcNow);
        try
        {
            await Crds.WriteAsync(null, name, crd =>
            {
                var spec = crd["spec"]!;
                crd["status"] = new JsonObject
                {
                    ["acceptedNames"] = spec["names"]?.DeepClone(),
                    ["conditions"] = new JsonArray(
                        Condition("NamesAccepted", "NoConflicts", "no conflicts found", now),
                        Condition("Established", "InitialNamesAccepted", "the initial names have been accepted", now)),
                    ["storedVersions"] = new JsonArray([.. (spec["versions"] as JsonArray ?? []).Where(v => v?["storage"]?.GetValue<bool>() == true).Select(v => (JsonNode?)JsonValue.Create(v!["name"]!.GetValue<string>()))]),
                };
                return crd;
            }, null, "status", false, ct);
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // Deleted or changed meanwhile: the next event brings it here again.
        }
    }

    private static JsonObject Condition(string type, string reason, string message, string now) => new()
    {
        ["type"] = type,
        ["status"] = "True",
        ["lastTransitionTime"] = now,
        ["reason"] = reason,
        ["message"] = message,
    };

    /// <summary>A CRD being deleted: stop serving it, delete its objects, then let the CRD go.</summary>
    private async Task CleanUpAsync(JsonObject crd, string name, CancellationToken ct)
    {
        foreach (var (kind, _) in Kinds(crd).Take(1))
        {
            if (registry.Find(kind.Group, kind.Version, kind.Plural) is { } store)
            {
                await store.DeleteCollectionAsync(null, new ListOptions(), DeleteOptions.Default with { GracePeriodSeconds = 0 }, ct);
            }

            await registry.StopServingAsync(kind.StoragePrefix);
        }

        _served.Remove(name);
        try
        {
            await Crds.WriteAsync(null, name, o =>
            {
                var finalizers = o["metadata"]!["finalizers"] as JsonArray ?? [];
                o["metadata"]!["finalizers"] = new JsonArray([.. finalizers.Where(f => f?.GetValue<string>() != CrdStrategy.CleanupFinalizer).Select(f => f?.DeepClone())]);
                return o;
            }, null, null, false, ct);
        }
        catch (ApiException e) when (e.Code is 404 or 409)
        {
            // Already gone, or changed: the next event brings it here again.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
        _sync.Dispose();
    }
}
