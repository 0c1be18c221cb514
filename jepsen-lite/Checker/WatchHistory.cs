using System.Text.Json.Nodes;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Checker;

/// <summary>
/// The watch workload's records in a history (format: Workloads/WatchLines.cs): the watchers' streams,
/// the committed history, and the checks that need more than <see cref="WatchChecker"/>: prev_kv, and
/// acknowledged writes missing from the committed history.
/// </summary>
public static class WatchHistory
{
    private const int CommittedProcess = -2;

    /// <summary>The watchers' streams and the committed history in a recorded history.</summary>
    public static (List<WatcherHistory> Watchers, List<CommittedEvent> Committed, List<(string Watcher, ReceivedEvent Event, string? Prev)> Prevs) Parse(IReadOnlyList<Op> history)
    {
        var committed = new List<CommittedEvent>();
        var streams = new SortedDictionary<int, (string Key, string? End, long Start, List<ReceivedEvent> Events)>();
        var prevs = new List<(string, ReceivedEvent, string?)>();
        foreach (var op in history)
        {
            if (op.Process == CommittedProcess && op.F == "committed")
            {
                foreach (var e in op.Value!.AsArray())
                {
                    var (rev, key, type, value, _) = Fields(e!);
                    committed.Add(new CommittedEvent(rev, key, type, value));
                }
            }
            else if (op.F == "watch" && op.Type == OpType.Invoke && !streams.ContainsKey(op.Process))
            {
                streams[op.Process] = (op.Key, op.Value?["range_end"]?.GetValue<string>(), op.Value!["start"]!.GetValue<long>(), []);
            }
            else if (op.F == "events" && op.Type == OpType.Ok && streams.TryGetValue(op.Process, out var s))
            {
                var response = s.Events.Count == 0 ? 0 : s.Events[^1].Response + 1;
                foreach (var e in op.Value!.AsArray())
                {
                    var (rev, key, type, value, prev) = Fields(e!);
                    var received = new ReceivedEvent(response, rev, key, type, value);
                    s.Events.Add(received);
                    prevs.Add(($"watcher on client {-op.Process - 100}", received, prev));
                }
            }
        }

        return ([.. streams.Select(kv => new WatcherHistory($"watcher on client {-kv.Key - 100}", kv.Value.Key, kv.Value.End, kv.Value.Start, kv.Value.Events))], committed, prevs);
    }

    /// <summary>
    /// prev_kv: a received put or delete must carry the key's value before that revision, as the
    /// committed history has it (none when the key did not exist). Messages for the events that do not.
    /// </summary>
    public static List<string> PrevKvErrors(IReadOnlyList<CommittedEvent> committed, IEnumerable<(string Watcher, ReceivedEvent Event, string? Prev)> received)
    {
        var before = new Dictionary<(long, string), string?>();
        var current = new Dictionary<string, string?>();
        foreach (var c in committed.OrderBy(c => c.Revision))
        {
            before[(c.Revision, c.Key)] = current.GetValueOrDefault(c.Key);
            current[c.Key] = c.Type == WatchEventType.Put ? c.Value : null;
        }

        var errors = new List<string>();
        foreach (var (watcher, e, prev) in received)
        {
            if (before.TryGetValue((e.Revision, e.Key), out var expected) && expected != prev)
            {
                errors.Add($"{watcher}: revision {e.Revision} {e.Key}: prev_kv {prev ?? "none"}, but the value before was {expected ?? "none"}");
            }
        }

        return errors;
    }

    /// <summary>Acknowledged writes of the workload that are not in the committed history (lost writes).</summary>
    public static List<string> LostWrites(IReadOnlyList<Op> history, IReadOnlyList<CommittedEvent> committed)
    {
        var values = committed.Where(c => c.Type == WatchEventType.Put).Select(c => (c.Key, c.Value)).ToHashSet();
        var lost = new List<string>();
        foreach (var op in history.Where(o => o.Type == OpType.Ok && o.F is "write" or "write2"))
        {
            var value = op.F == "write" ? op.Value!.ToString() : op.Value![1]!.ToString();
            if (!values.Contains((op.Key, value)))
            {
                lost.Add($"p{op.Process} {op.F} {op.Key}={value} was acknowledged but is not in the committed history");
            }
        }

        return lost;
    }

    private static (long Revision, string Key, WatchEventType Type, string? Value, string? Prev) Fields(JsonNode e)
    {
        var a = e.AsArray();
        return (a[0]!.GetValue<long>(), a[1]!.GetValue<string>(), a[2]!.GetValue<string>() == "delete" ? WatchEventType.Delete : WatchEventType.Put, a[3]?.GetValue<string>(), a[4]?.GetValue<string>());
    }
}
