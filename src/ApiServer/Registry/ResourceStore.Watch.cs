using System.Runtime.CompilerServices;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Storage;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// One event of a client watch, as sent: ADDED, MODIFIED, DELETED or BOOKMARK. Either its own
/// <paramref name="Own"/> object, or <see cref="Shared"/>: the cache's event, served as it is, whose
/// encoding every watch shares (and whose object is parsed only if someone needs it).
/// </summary>
public sealed record WatchEvent(WatchEventType Type, JsonObject? Own, CacheEvent? Shared = null)
{
    public JsonObject Object => Own ?? Shared!.Object!;
}

public sealed partial class ResourceStore
{
    /// <summary>
    /// A client watch, served from the watch cache, as batches of the events that were waiting (one
    /// flush per batch: a watch that fell behind catches up without a write per event). With a
    /// selector, an object that starts matching arrives as ADDED and one that stops matching as
    /// DELETED, as Kubernetes filters watches.
    /// </summary>
    public async Task<IAsyncEnumerable<IReadOnlyList<WatchEvent>>> WatchAsync(string? ns, ListOptions options, CancellationToken ct)
    {
        var from = options.ResourceVersion.Length == 0 ? 0 : ParseResourceVersion(options.ResourceVersion);
        var reader = await _cache.SubscribeAsync(from, options.AllowWatchBookmarks, ct);
        return Batches(reader, Kind.ListPrefix(ns), options, ct);
    }

    private async IAsyncEnumerable<IReadOnlyList<WatchEvent>> Batches(System.Threading.Channels.ChannelReader<CacheEvent> reader, string prefix, ListOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        while (await reader.WaitToReadAsync(ct))
        {
            var batch = new List<WatchEvent>();
            while (batch.Count < 256 && reader.TryRead(out var e))
            {
                if (ToWatchEvent(e, prefix, options) is { } w)
                {
                    batch.Add(w);
                }
            }

            if (batch.Count > 0)
            {
                yield return batch;
            }
        }
    }

    private WatchEvent? ToWatchEvent(CacheEvent e, string prefix, ListOptions options)
    {
        if (e.Type == WatchEventType.Bookmark)
        {
            return new WatchEvent(WatchEventType.Bookmark, Bookmark(e.Revision));
        }

        if (!e.Key.StartsWith(prefix, StringComparison.Ordinal))
        {
            return null;
        }

        if (options.Labels.IsEmpty && options.Fields.IsEmpty && Conversion is null)
        {
            // Stored objects of this kind are served as stored: no need to parse them here.
            return new WatchEvent(e.Type, null, e);
        }

        var now = Matches(e.Object!, options);
        var before = e.Old is not null && Matches(e.Old, options);
        var type = e.Type switch
        {
            WatchEventType.Added => now ? WatchEventType.Added : (WatchEventType?)null,
            WatchEventType.Deleted => before || (e.Old is null && now) ? WatchEventType.Deleted : null,
            _ => (now, before) switch
            {
                (true, true) => WatchEventType.Modified,
                (true, false) => WatchEventType.Added,
                (false, true) => WatchEventType.Deleted,
                _ => null,
            },
        };
        if (type is not { } t)
        {
            return null;
        }

        var served = Typed(e.Object!);
        return new WatchEvent(t, served, ReferenceEquals(served, e.Object) ? e : null);
    }

    private JsonObject Bookmark(long revision) => new()
    {
        ["kind"] = Kind.Kind,
        ["apiVersion"] = Kind.GroupVersion,
        ["metadata"] = new JsonObject { ["resourceVersion"] = Rv(revision) },
    };
}
