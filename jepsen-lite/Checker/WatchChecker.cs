using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Checker;

/// <summary>What a watch event did to its key.</summary>
public enum WatchEventType
{
    /// <summary>The key was created or updated.</summary>
    Put,

    /// <summary>The key was deleted.</summary>
    Delete,
}

/// <summary>One committed change of the store, from its revision history (what every watcher should see).</summary>
/// <param name="Revision">The store revision that made the change (several changes may share one: a transaction).</param>
/// <param name="Key">The key changed.</param>
/// <param name="Type">Put or delete.</param>
/// <param name="Value">The value put (null for a delete).</param>
public sealed record CommittedEvent(long Revision, string Key, WatchEventType Type, string? Value);

/// <summary>One event as a watcher received it.</summary>
/// <param name="Response">Which watch response it came in: 0, 1, 2… in order of arrival.</param>
/// <param name="Revision">The event's revision (etcd's mod_revision).</param>
/// <param name="Key">The key.</param>
/// <param name="Type">Put or delete.</param>
/// <param name="Value">The value (null for a delete).</param>
public sealed record ReceivedEvent(int Response, long Revision, string Key, WatchEventType Type, string? Value);

/// <summary>
/// A watcher and what it received, in arrival order. Its range follows etcd: <paramref name="RangeEnd"/>
/// null watches <paramref name="Key"/> alone; "\0" every key ≥ <paramref name="Key"/>; otherwise
/// the keys k with Key ≤ k &lt; RangeEnd (ordinal comparison).
/// </summary>
/// <param name="Name">A name for messages (e.g. "w3 on node 1").</param>
/// <param name="Key">The range's first key.</param>
/// <param name="RangeEnd">The range's end (exclusive), or null / "\0" as above.</param>
/// <param name="StartRevision">The revision the watch started from (events from it on are expected).</param>
/// <param name="Events">Everything received, in arrival order.</param>
public sealed record WatcherHistory(string Name, string Key, string? RangeEnd, long StartRevision, IReadOnlyList<ReceivedEvent> Events)
{
    /// <summary>Whether <paramref name="key"/> is in the watched range.</summary>
    public bool Covers(string key) => RangeEnd switch
    {
        null => key == Key,
        "\0" => string.CompareOrdinal(key, Key) >= 0,
        _ => string.CompareOrdinal(key, Key) >= 0 && string.CompareOrdinal(key, RangeEnd) < 0,
    };
}

/// <summary>The watch guarantees checked.</summary>
public enum WatchProperty
{
    /// <summary>Revisions never go back within a watcher's stream.</summary>
    Ordered,

    /// <summary>No (revision, key) is delivered twice.</summary>
    Unique,

    /// <summary>No event in range is missing between the start revision and the last revision seen.</summary>
    Reliable,

    /// <summary>A revision's events all come in one response.</summary>
    Atomic,

    /// <summary>Every event received is a committed change, with the committed type and value.</summary>
    Accurate,
}

/// <summary>One broken guarantee.</summary>
public sealed record WatchViolation(WatchProperty Property, string Watcher, long Revision, string Key, string Message);

/// <summary>Valid when there are no violations.</summary>
public sealed record WatchResult(Validity Validity, IReadOnlyList<WatchViolation> Violations)
{
    /// <summary>Whether no violation of <paramref name="property"/> was found.</summary>
    public bool Holds(WatchProperty property) => Violations.All(v => v.Property != property);
}

/// <summary>Checks watchers' event streams against the committed revision history: ordered, unique, reliable, atomic, accurate.</summary>
public static class WatchChecker
{
    /// <summary>Checks every watcher against <paramref name="committed"/>.</summary>
    public static WatchResult Check(IReadOnlyList<WatcherHistory> watchers, IReadOnlyList<CommittedEvent> committed)
    {
        var byRevisionKey = new Dictionary<(long, string), CommittedEvent>();
        foreach (var c in committed)
        {
            byRevisionKey[(c.Revision, c.Key)] = c;
        }
        var violations = new List<WatchViolation>();
        foreach (var w in watchers)
        {
            CheckWatcher(w, committed, byRevisionKey, violations);
        }
        return new WatchResult(violations.Count == 0 ? Validity.Valid : Validity.Invalid, violations);
    }

    private static void CheckWatcher(
        WatcherHistory w, IReadOnlyList<CommittedEvent> committed,
        Dictionary<(long, string), CommittedEvent> byRevisionKey, List<WatchViolation> violations)
    {
        long last = long.MinValue;
        var seen = new HashSet<(long, string)>();
        var responseOfRevision = new Dictionary<long, int>();
        foreach (var e in w.Events)
        {
            if (e.Revision < last)
            {
                violations.Add(new(WatchProperty.Ordered, w.Name, e.Revision, e.Key, $"{w.Name}: revision {e.Revision} ({e.Key}) arrived after revision {last}"));
            }
            last = Math.Max(last, e.Revision);
            if (!seen.Add((e.Revision, e.Key)))
            {
                violations.Add(new(WatchProperty.Unique, w.Name, e.Revision, e.Key, $"{w.Name}: revision {e.Revision} of {e.Key} delivered more than once"));
                continue; // a duplicate is only a uniqueness violation, not a split revision too
            }
            if (responseOfRevision.TryGetValue(e.Revision, out var response))
            {
                if (response != e.Response)
                {
                    violations.Add(new(WatchProperty.Atomic, w.Name, e.Revision, e.Key, $"{w.Name}: revision {e.Revision} split across responses {response} and {e.Response}"));
                }
            }
            else
            {
                responseOfRevision[e.Revision] = e.Response;
            }
            if (!byRevisionKey.TryGetValue((e.Revision, e.Key), out var c))
            {
                violations.Add(new(WatchProperty.Accurate, w.Name, e.Revision, e.Key, $"{w.Name}: received {e.Type} {e.Key} at revision {e.Revision}, which was never committed"));
            }
            else if (c.Type != e.Type || c.Value != e.Value)
            {
                violations.Add(new(WatchProperty.Accurate, w.Name, e.Revision, e.Key, $"{w.Name}: received {e.Type} {e.Key}={e.Value} at revision {e.Revision}, committed was {c.Type} {c.Key}={c.Value}"));
            }
            else if (!w.Covers(e.Key) || e.Revision < w.StartRevision)
            {
                violations.Add(new(WatchProperty.Accurate, w.Name, e.Revision, e.Key, $"{w.Name}: received {e.Key} at revision {e.Revision}, outside its range or before its start revision {w.StartRevision}"));
            }
        }
        if (w.Events.Count == 0)
        {
            return;
        }
        foreach (var c in committed)
        {
            if (c.Revision >= w.StartRevision && c.Revision <= last && w.Covers(c.Key) && !seen.Contains((c.Revision, c.Key)))
            {
                violations.Add(new(WatchProperty.Reliable, w.Name, c.Revision, c.Key, $"{w.Name}: missed {c.Type} {c.Key} at revision {c.Revision} (saw revisions {w.StartRevision}..{last})"));
            }
        }
    }
}
