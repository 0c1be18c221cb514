using System.Text.Json.Nodes;
using KvCluster.ApiServer.Storage;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// The generic store of one kind (Kubernetes' registry Store): get, list, watch, create, update,
/// patch and delete, done once for every kind, with the kind's <see cref="IKindStrategy"/> for the
/// rest. Objects are JSON; every write is guarded on the object's mod revision.
/// </summary>
public sealed partial class ResourceStore
{
    private readonly IObjectStore _store;
    private readonly WatchCache _cache;
    private readonly IKindStrategy _strategy;
    private readonly INamespaces _namespaces;
    private readonly TimeProvider _time;

    public ResourceStore(ResourceKind kind, IObjectStore store, WatchCache cache, IKindStrategy strategy, INamespaces namespaces, TimeProvider time)
    {
        Kind = kind;
        _store = store;
        _cache = cache;
        _strategy = strategy;
        _namespaces = namespaces;
        _time = time;
    }

    public ResourceKind Kind { get; }

    /// <summary>The watch cache this kind is served from (shared by the kinds of one storage prefix).</summary>
    internal WatchCache Cache => _cache;

    /// <summary>How the kind converts to the version it is stored in, or null when it is stored as served.</summary>
    public IVersionConversion? Conversion { get; init; }

    /// <summary>Allocations the kind's objects hold in other keys (Services), or null.</summary>
    public IAllocations? Allocations { get; init; }

    public async Task<JsonObject> GetAsync(string? ns, string name, CancellationToken ct)
    {
        var stored = await _store.GetAsync(Kind.Key(ns, name), ct) ?? throw ApiException.NotFound(Kind, name);
        return Served(stored);
    }

    /// <param name="raw">The caller writes the items out as they are: an unfiltered page read from the store comes back as <see cref="ListPage.Raw"/>.</param>
    public async Task<ListPage> ListAsync(string? ns, ListOptions options, CancellationToken ct, bool raw = false)
    {
        var prefix = Kind.ListPrefix(ns);
        if (options.Continue is null && options.ResourceVersionMatch is not "Exact" && await CacheCanServeAsync(options, ct))
        {
            var (rev, all) = await _cache.ListAsync(prefix, ct);
            if (raw && Conversion is null && options.Labels.IsEmpty && options.Fields.IsEmpty)
            {
                return new ListPage(rev, [], null, null) { Raw = [.. all.Select(o => o.Served)] };
            }

            return new ListPage(rev, [.. all.Select(o => o.Object).Where(o => Matches(o, options)).Select(Typed)], null, null);
        }

        return await ListFromStoreAsync(prefix, options, raw && Conversion is null && options.Labels.IsEmpty && options.Fields.IsEmpty, ct);
    }

    /// <summary>
    /// Whether a list without a continue token is served from the watch cache, as kube-apiserver 1.32
    /// does: resourceVersion "0" (any); "N" (not older than N) once the cache has reached N; and a
    /// consistent list (no resourceVersion, no limit: ConsistentListFromCache) once the cache has reached
    /// the store's current revision — otherwise (a limit, or a cache that does not catch up in time) the
    /// list is read from the store.
    /// </summary>
    private async Task<bool> CacheCanServeAsync(ListOptions options, CancellationToken ct)
    {
        if (options.ResourceVersion == "0")
        {
            return true;
        }

        if (options.ResourceVersion.Length > 0)
        {
            // Not older than N: the cache waits for N (and answers what it has after 3 s, as before).
            await _cache.WaitFreshAsync(ParseResourceVersion(options.ResourceVersion), ct);
            return true;
        }

        return options.Limit <= 0 && await _cache.WaitFreshAsync(await _store.CurrentRevisionAsync(ct), ct);
    }

    private async Task<ListPage> ListFromStoreAsync(string prefix, ListOptions options, bool raw, CancellationToken ct)
    {
        long revision = 0;
        string? after = null;
        if (options.Continue is not null)
        {
            (revision, after) = ContinueToken.Decode(options.Continue);
            if (!after.StartsWith(prefix, StringComparison.Ordinal))
            {
                throw ApiException.BadRequest("continue key is not valid: the token does not belong to this list");
            }
        }
        else if (options.ResourceVersionMatch == "Exact")
        {
            revision = ParseResourceVersion(options.ResourceVersion);
        }

        var items = new List<JsonObject>();
        var rawItems = raw ? new List<byte[]>() : null;
        var more = false;
        long remaining = 0;
        string? lastKey = null;
        try
        {
            // Selectors filter after the read, so a page may take several reads to fill up to the limit.
            while (true)
            {
                var want = options.Limit > 0 ? Math.Max(options.Limit - items.Count, 0) : 0;
                var page = await _store.ListAsync(prefix, revision, after, want, ct);

                // Later pages read at the first page's revision (a store answers historical reads with its current revision).
                revision = revision == 0 ? page.Revision : revision;
                foreach (var stored in page.Items)
                {
                    lastKey = stored.Key;
                    if (rawItems is not null)
                    {
                        rawItems.Add(RawJson.WithResourceVersion(stored.Value, stored.ModRevision));
                        continue;
                    }

                    var obj = Served(stored);
                    if (Matches(obj, options))
                    {
                        items.Add(obj);
                    }
                }

                more = page.More;
                remaining = page.Remaining;
                if (!more || options.Limit <= 0 || items.Count + (rawItems?.Count ?? 0) >= options.Limit)
                {
                    break;
                }

                after = lastKey;
            }
        }
        catch (StoreCompactedException) when (options.Continue is not null)
        {
            throw ApiException.Expired("The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.");
        }
        catch (StoreCompactedException e)
        {
            throw ApiException.Expired($"too old resource version: {revision} ({e.CompactRevision})");
        }

        var next = more && lastKey is not null ? ContinueToken.Encode(revision, lastKey) : null;
        var count = next is not null && options.Labels.IsEmpty && options.Fields.IsEmpty ? remaining : (long?)null;
        return new ListPage(revision, items, next, count) { Raw = rawItems };
    }

    private static bool Matches(JsonObject obj, ListOptions options) =>
        options.Labels.Matches(obj["metadata"]?["labels"] as JsonObject) && options.Fields.Matches(obj);

    internal static long ParseResourceVersion(string rv) =>
        long.TryParse(rv, out var r) && r >= 0 ? r : throw ApiException.BadRequest($"Invalid value: \"{rv}\": must be a non-negative integer");

    /// <summary>A stored object as served: with its resourceVersion, apiVersion and kind.</summary>
    private JsonObject Served(StoredObject stored) => Typed(ObjectJson.Parse(stored.Value, stored.ModRevision));

    /// <summary>The object with this kind's apiVersion and kind (objects are shared with the cache: copy when they differ).</summary>
    private JsonObject Typed(JsonObject obj)
    {
        if (Conversion is not null)
        {
            var served = Conversion.FromStorage((JsonObject)obj.DeepClone());
            served["kind"] = Kind.Kind;
            return served;
        }

        if (obj["apiVersion"]?.GetValue<string>() == Kind.GroupVersion && obj["kind"]?.GetValue<string>() == Kind.Kind)
        {
            return obj;
        }

        var copy = (JsonObject)obj.DeepClone();
        copy["apiVersion"] = Kind.GroupVersion;
        copy["kind"] = Kind.Kind;
        return copy;
    }
}

/// <summary>What other kinds need to know about namespaces: whether one exists and can take new objects.</summary>
public interface INamespaces
{
    /// <summary>Throws 404 when <paramref name="ns"/> does not exist, 403 when it is being deleted.</summary>
    Task EnsureWritableAsync(string ns, ResourceKind kind, string name, CancellationToken ct);
}
