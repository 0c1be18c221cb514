using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Watch;

/// <summary>
/// A set of watchers indexed the way etcd's watcherGroup is: single-key watchers by their key, range
/// watchers apart. Publishing a revision then touches only the watchers of the keys it changed and
/// the range watchers, not every watcher (10,000 watchers on 1,000 keys: 10 per put, not 10,000).
/// Not thread-safe: the hub guards it with its lock.
/// </summary>
internal sealed class WatcherGroup
{
    private readonly Dictionary<byte[], HashSet<Watcher>> _byKey = new(ByteArrayComparer.Instance);
    private readonly HashSet<Watcher> _ranges = [];

    public int Count { get; private set; }

    public IEnumerable<Watcher> All => _ranges.Concat(_byKey.Values.SelectMany(set => set));

    public bool Contains(Watcher w) =>
        w.Range.IsSingleKey ? _byKey.TryGetValue(w.Range.Key, out var set) && set.Contains(w) : _ranges.Contains(w);

    public void Add(Watcher w)
    {
        bool added;
        if (!w.Range.IsSingleKey)
        {
            added = _ranges.Add(w);
        }
        else if (_byKey.TryGetValue(w.Range.Key, out var set))
        {
            added = set.Add(w);
        }
        else
        {
            _byKey[w.Range.Key] = [w];
            added = true;
        }

        Count += added ? 1 : 0;
    }

    public bool Remove(Watcher w)
    {
        bool removed;
        if (!w.Range.IsSingleKey)
        {
            removed = _ranges.Remove(w);
        }
        else
        {
            removed = _byKey.TryGetValue(w.Range.Key, out var set) && set.Remove(w);
            if (removed && set!.Count == 0)
            {
                _byKey.Remove(w.Range.Key);
            }
        }

        Count -= removed ? 1 : 0;
        return removed;
    }

    public void Clear()
    {
        _byKey.Clear();
        _ranges.Clear();
        Count = 0;
    }

    /// <summary>
    /// The watchers that may want some of <paramref name="events"/>: those on one of their keys, and
    /// every range watcher (each still filters with <see cref="Watcher.Select"/>). Each at most once.
    /// Read-only for the caller: with no watcher in the group it is one shared empty list, so a store nobody
    /// watches neither allocates nor hashes a key per published revision.
    /// </summary>
    public IReadOnlyList<Watcher> Candidates(List<Event> events)
    {
        if (Count == 0)
        {
            return [];
        }

        var found = new List<Watcher>(_ranges.Count + 4);
        found.AddRange(_ranges);
        HashSet<Watcher>? seen = null;
        for (int i = 0; i < events.Count; i++)
        {
            if (!_byKey.TryGetValue(events[i].Kv.Key, out var set))
            {
                continue;
            }

            if (events.Count == 1)
            {
                found.AddRange(set);
                break;
            }

            // A key changed twice in one revision (a txn) must not deliver its watchers twice.
            seen ??= [];
            foreach (var w in set)
            {
                if (seen.Add(w))
                {
                    found.Add(w);
                }
            }
        }

        return found;
    }
}
