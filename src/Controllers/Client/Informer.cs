using System.Collections.Concurrent;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace KvCluster.Controllers.Client;

/// <summary>What a list returns: the items and the collection's resourceVersion to watch from.</summary>
internal sealed record Listed<T>(IList<T> Items, string ResourceVersion);

/// <summary>
/// client-go's informer, for one kind: lists, then watches from the list's resourceVersion, and keeps a local
/// cache by namespace/name. Each change is reported to <see cref="Changed"/> as (old, new): old null for an add,
/// new null for a delete. When the watch ends it watches again from the last version seen; when it fails (a
/// compacted version: 410 Gone, or a broken connection), it lists again and reports the differences.
/// </summary>
internal sealed class Informer<T>(
    string name,
    Func<CancellationToken, Task<Listed<T>>> list,
    Func<string, CancellationToken, IAsyncEnumerable<(WatchEventType Type, T Item)>> watch,
    ILogger log)
    where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<string, T> _items = new();
    private readonly TaskCompletionSource _synced = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called on the informer's task, in the order the changes happened.</summary>
    public event Action<T?, T?>? Changed;

    /// <summary>Completes after the first list is in the cache.</summary>
    public Task Synced => _synced.Task;

    public ICollection<T> Items => _items.Values;

    public T? Get(string key) => _items.TryGetValue(key, out var item) ? item : null;

    public static string Key(T item) => item.Namespace() is { Length: > 0 } ns ? $"{ns}/{item.Name()}" : item.Name();

    public async Task RunAsync(CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            try
            {
                var listed = await list(ct);
                Replace(listed.Items);
                _synced.TrySetResult();
                var version = listed.ResourceVersion;
                while (!ct.IsCancellationRequested)
                {
                    await foreach (var (type, item) in watch(version, ct))
                    {
                        version = item.ResourceVersion() ?? version;
                        Apply(type, item);
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                log.LogWarning("{Kind} watch ended: {Error}; listing again", name, e.Message);
                await Task.Delay(TimeSpan.FromSeconds(1), ct).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    private void Apply(WatchEventType type, T item)
    {
        var key = Key(item);
        switch (type)
        {
            case WatchEventType.Added or WatchEventType.Modified:
                _items.TryGetValue(key, out var old);
                _items[key] = item;
                Changed?.Invoke(old, item);
                break;
            case WatchEventType.Deleted:
                if (_items.TryRemove(key, out var gone))
                {
                    Changed?.Invoke(gone, null);
                }

                break;
            case WatchEventType.Error:
                throw new InvalidOperationException("the watch reported an error");
        }
    }

    /// <summary>A fresh list: what changed since the cache was last right is reported as adds, updates and deletes.</summary>
    private void Replace(IList<T> items)
    {
        var keys = new HashSet<string>();
        foreach (var item in items)
        {
            var key = Key(item);
            keys.Add(key);
            _items.TryGetValue(key, out var old);
            _items[key] = item;
            if (old is null || old.ResourceVersion() != item.ResourceVersion())
            {
                Changed?.Invoke(old, item);
            }
        }

        foreach (var (key, old) in _items)
        {
            if (!keys.Contains(key) && _items.TryRemove(key, out _))
            {
                Changed?.Invoke(old, null);
            }
        }
    }
}
