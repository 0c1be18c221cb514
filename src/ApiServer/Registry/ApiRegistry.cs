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
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Group, string Version, string Plural), ResourceStore> _stores = [];
    private readonly Dictionary<string, WatchCache> _caches = [];
    private readonly TimeProvider _time;
    private readonly int _watchWindow;
    private volatile IReadOnlyList<ResourceKind> _kinds = [];
    private volatile bool _started;
    private readonly IObjectStore _store;
    private readonly ILogger _log;

    private readonly ServiceAllocator _services;

    public ApiRegistry(IObjectStore store, IEnumerable<ResourceKind> kinds, TimeProvider time, ILogger log, int watchWindow = 10_000, ServiceAllocator? services = null)
    {
        _store = store;
        _log = log;
        _time = time;
        _watchWindow = watchWindow;
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

        _kinds = [.. _stores.Values.Select(s => s.Kind)];
        CustomResources = new Crd.CustomResourceDefinitions(this, log);
    }

    /// <summary>Every kind served now: the built-in ones, then those of established CustomResourceDefinitions.</summary>
    public IReadOnlyList<ResourceKind> Kinds => _kinds;

    /// <summary>Serves the kinds CustomResourceDefinitions declare, as they come and go.</summary>
    public Crd.CustomResourceDefinitions CustomResources { get; }

    public ResourceStore? Find(string group, string version, string plural)
    {
        lock (_lock)
        {
            return _stores.GetValueOrDefault((group, version, plural));
        }
    }

    /// <summary>A kind not served: the CustomResourceDefinitions are brought up to date first (one just created is served at once).</summary>
    public async Task<ResourceStore?> FindAsync(string group, string version, string plural, CancellationToken ct) =>
        Find(group, version, plural) ?? (await CustomResources.CatchUpAsync(ct) ? Find(group, version, plural) : null);

    public ResourceStore Namespaces => _stores[("", "v1", "namespaces")];

    /// <summary>Serves <paramref name="kinds"/> (replacing rows of the same group, version and plural), each with its strategy; their watch caches start filled.</summary>
    internal async Task ServeAsync(IReadOnlyList<(ResourceKind Kind, IKindStrategy Strategy)> kinds, CancellationToken ct)
    {
        var starting = new List<WatchCache>();
        lock (_lock)
        {
            foreach (var (kind, strategy) in kinds)
            {
                if (!_caches.TryGetValue(kind.StoragePrefix, out var cache))
                {
                    _caches[kind.StoragePrefix] = cache = new WatchCache(_store, kind.StoragePrefix, _watchWindow, _log);
                    starting.Add(cache);
                }

                _stores[(kind.Group, kind.Version, kind.Plural)] = new ResourceStore(kind, _store, cache, strategy, this, _time);
            }

            _kinds = [.. _stores.Values.Select(s => s.Kind)];
        }

        if (_started)
        {
            foreach (var cache in starting)
            {
                cache.Start();
            }
        }

        foreach (var cache in starting)
        {
            await cache.WaitReadyAsync(ct);
        }
    }

    /// <summary>Stops serving the kinds stored under <paramref name="storagePrefix"/> (a CRD's every version) and stops their watch cache.</summary>
    internal async Task StopServingAsync(string storagePrefix)
    {
        WatchCache? cache;
        lock (_lock)
        {
            foreach (var key in _stores.Where(s => s.Value.Kind.StoragePrefix == storagePrefix).Select(s => s.Key).ToList())
            {
                _stores.Remove(key);
            }

            _caches.Remove(storagePrefix, out cache);
            _kinds = [.. _stores.Values.Select(s => s.Kind)];
        }

        if (cache is not null)
        {
            await cache.DisposeAsync();
        }
    }

    private List<ResourceStore> Stores()
    {
        lock (_lock)
        {
            return [.. _stores.Values];
        }
    }

    private List<WatchCache> Caches()
    {
        lock (_lock)
        {
            return [.. _caches.Values];
        }
    }

    /// <summary>Starts the watch caches and creates the namespaces every cluster has, and the "kubernetes" Service (to <paramref name="apiPort"/>).</summary>
    public async Task StartAsync(int apiPort, CancellationToken ct)
    {
        _started = true;
        foreach (var cache in Caches())
        {
            cache.Start();
        }

        foreach (var cache in Caches())
        {
            await cache.WaitReadyAsync(ct);
        }

        await CustomResources.StartAsync(ct);

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
        foreach (var cache in Caches())
        {
            cache.SendBookmarks();
        }
    }

    public async Task EnsureWritableAsync(string ns, ResourceKind kind, string name, CancellationToken ct)
    {
        // As Kubernetes' NamespaceLifecycle admission: the cache first, the store only for a namespace the cache has not seen yet.
        var key = Namespaces.Kind.Key(null, ns);
        var obj = Namespaces.Cache.TryGet(key);
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

        foreach (var store in Stores().Where(s => s.Kind.Namespaced).DistinctBy(s => s.Kind.StoragePrefix))
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
        await CustomResources.DisposeAsync();
        foreach (var cache in Caches())
        {
            await cache.DisposeAsync();
        }
    }
}
