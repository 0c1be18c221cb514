using System.Text.Json.Nodes;
using KvCluster.ApiServer.Storage;
using Microsoft.Extensions.Logging;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// Every kind served, its store, and one watch cache per storage prefix (kinds served in two
/// versions share one). Also the namespace rules other kinds depend on.
/// </summary>
public sealed class ApiRegistry : INamespaces, IAsyncDisposable
{
    private readonly Dictionary<(string Group, string Version, string Plural), ResourceStore> _stores = [];
    private readonly Dictionary<string, WatchCache> _caches = [];
    private readonly IObjectStore _store;
    private readonly ILogger _log;

    private readonly ServiceAllocator _services;

    public ApiRegistry(IObjectStore store, IEnumerable<ResourceKind> kinds, TimeProvider time, ILogger log, int watchWindow = 10_000, ServiceAllocator? services = null)
    {
        _store = store;
        _log = log;
        _services = services ?? new ServiceAllocator(store, System.Net.IPNetwork.Parse("10.96.0.0/12"), 30000, 32767);
        foreach (var kind in kinds)
        {
            if (!_caches.TryGetValue(kind.StoragePrefix, out var cache))
            {
                _caches[kind.StoragePrefix] = cache = new WatchCache(store, kind.StoragePrefix, watchWindow, log);
            }

            _stores[(kind.Group, kind.Version, kind.Plural)] = new ResourceStore(kind, store, cache, Strategies.For(kind), this, time)
            {
                Allocations = kind is { Group: "", Kind: "Service" } ? _services : null,
                Conversion = kind is { Group: "autoscaling", Version: "v1", Kind: "HorizontalPodAutoscaler" } ? new HpaV1Conversion() : null,
            };
        }

        Kinds = [.. _stores.Values.Select(s => s.Kind)];
    }

    public IReadOnlyList<ResourceKind> Kinds { get; }

    public ResourceStore? Find(string group, string version, string plural) =>
        _stores.GetValueOrDefault((group, version, plural));

    public ResourceStore Namespaces => _stores[("", "v1", "namespaces")];

    /// <summary>Starts the watch caches and creates the namespaces every cluster has, and the "kubernetes" Service (to <paramref name="apiPort"/>).</summary>
    public async Task StartAsync(int apiPort, CancellationToken ct)
    {
        foreach (var cache in _caches.Values)
        {
            cache.Start();
        }

        foreach (var cache in _caches.Values)
        {
            await cache.WaitReadyAsync(ct);
        }

        foreach (var name in new[] { "default", "kube-system", "kube-public", "kube-node-lease" })
        {
            try
            {
                await Namespaces.CreateAsync(null, new JsonObject { ["metadata"] = new JsonObject { ["name"] = name } }, false, ct);
                ApiServerLog.NamespaceCreated(_log, name);
            }
            catch (ApiException e) when (e.Reason == "AlreadyExists")
            {
                // Created by an earlier start.
            }
        }

        var kubernetes = new JsonObject
        {
            ["metadata"] = new JsonObject { ["name"] = "kubernetes", ["labels"] = new JsonObject { ["component"] = "apiserver", ["provider"] = "kubernetes" } },
            ["spec"] = new JsonObject
            {
                ["clusterIP"] = _services.FirstAddress,
                ["ports"] = new JsonArray(new JsonObject { ["name"] = "https", ["port"] = 443, ["protocol"] = "TCP", ["targetPort"] = apiPort }),
            },
        };
        try
        {
            await _stores[("", "v1", "services")].CreateAsync("default", kubernetes, false, ct);
        }
        catch (ApiException e) when (e.Reason is "AlreadyExists" or "Invalid")
        {
            // Created by an earlier start (its address is then taken too).
        }
    }

    /// <summary>Sends bookmarks on every cache (called periodically).</summary>
    public void SendBookmarks()
    {
        foreach (var cache in _caches.Values)
        {
            cache.SendBookmarks();
        }
    }

    public async Task EnsureWritableAsync(string ns, ResourceKind kind, string name, CancellationToken ct)
    {
        // As Kubernetes' NamespaceLifecycle admission: the cache first, the store only for a namespace the cache has not seen yet.
        var key = Namespaces.Kind.Key(null, ns);
        var obj = _caches[Namespaces.Kind.StoragePrefix].TryGet(key);
        if (obj is null)
        {
            var stored = await _store.GetAsync(key, ct) ?? throw ApiException.NotFound(Namespaces.Kind, ns);
            obj = ObjectJson.Parse(stored.Value, stored.ModRevision);
        }

        if (obj["metadata"]?["deletionTimestamp"] is not null)
        {
            throw ApiException.Forbidden(kind, name, $"unable to create new content in namespace {ns} because it is being terminated");
        }
    }

    /// <summary>
    /// Deletes a namespace: marks it Terminating, deletes everything in it, then removes it (the work
    /// of Kubernetes' namespace controller, done here until src/Controllers has one).
    /// </summary>
    public async Task<JsonObject> DeleteNamespaceAsync(string name, DeleteOptions options, CancellationToken ct)
    {
        var terminating = await Namespaces.WriteAsync(null, name, o =>
        {
            o["metadata"]!["deletionTimestamp"] ??= ResourceStore.Timestamp(DateTimeOffset.UtcNow);
            o["status"] = new JsonObject { ["phase"] = "Terminating" };
            return o;
        }, options.PreconditionResourceVersion, "deleting", options.DryRun, ct);
        if (options.DryRun)
        {
            return terminating;
        }

        foreach (var store in _stores.Values.Where(s => s.Kind.Namespaced).DistinctBy(s => s.Kind.StoragePrefix))
        {
            await store.DeleteCollectionAsync(name, new ListOptions(), DeleteOptions.Default with { GracePeriodSeconds = 0 }, ct);
        }

        await ForceRemoveAsync(name, ct);
        return terminating;
    }

    private async Task ForceRemoveAsync(string ns, CancellationToken ct)
    {
        var key = Namespaces.Kind.Key(null, ns);
        if (await _store.GetAsync(key, ct) is { } stored)
        {
            await _store.DeleteAsync(key, stored.ModRevision, ct);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var cache in _caches.Values)
        {
            await cache.DisposeAsync();
        }
    }
}
