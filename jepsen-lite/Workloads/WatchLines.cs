using System.Text.Json.Nodes;
using Google.Protobuf.Collections;

namespace KvCluster.JepsenLite.Workloads;

/// <summary>
/// How the watch workload's streams are written into history.jsonl and read back for the checker.
/// A watcher (process -(100 + its client number): an observer, not a client) writes a "watch" invoke when a stream is created (value {"start": first
/// revision it will deliver, "range_end": …}, key the range's start), then one "events" ok line per
/// watch response: value [[revision, key, "put"|"delete", value, prev_value], …]. The committed
/// history is written after the run as "committed" ok lines of process -2, in the same form.
/// </summary>
public static class WatchLines
{
    public const int CommittedProcess = -2;

    /// <summary>The observer process of the watcher run by client <paramref name="worker"/>.</summary>
    public static int WatcherProcess(int worker) => -(100 + worker);

    public static JsonArray Events(RepeatedField<KvServer.Api.MvccPb.Event> events) =>
        new([.. events.Select(e => (JsonNode)new JsonArray(
            e.Kv.ModRevision,
            e.Kv.Key.ToStringUtf8(),
            e.Type == KvServer.Api.MvccPb.Event.Types.EventType.Delete ? "delete" : "put",
            e.Type == KvServer.Api.MvccPb.Event.Types.EventType.Delete ? null : e.Kv.Value.ToStringUtf8(),
            e.PrevKv is null ? null : e.PrevKv.Value.ToStringUtf8()))]);
}
