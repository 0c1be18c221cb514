using System.Text.Json.Serialization;

namespace KvCluster.JepsenLite.History;

/// <summary>What a history line records: an operation's start, or how it ended.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<OpType>))]
public enum OpType
{
    /// <summary>The client is about to send the request.</summary>
    [JsonStringEnumMemberName("invoke")] Invoke,

    /// <summary>It took effect, and the value (for a read, what was read) is known.</summary>
    [JsonStringEnumMemberName("ok")] Ok,

    /// <summary>It certainly did not take effect (a failed compare, or an error that proves nothing was applied).</summary>
    [JsonStringEnumMemberName("fail")] Fail,

    /// <summary>Indeterminate (a timeout or a reset): it may have taken effect, at any time after its invoke.</summary>
    [JsonStringEnumMemberName("info")] Info,
}

/// <summary>
/// One line of history.jsonl. An operation is two lines with the same <see cref="Process"/>: an
/// invoke, then its completion (ok, fail or info). A process runs one operation at a time; after an
/// info it never runs another (the harness gives the client a new process number).
/// Register workload (per <see cref="Key"/>): f "read" (value null on invoke, the value read or null
/// for an absent key on ok), "write" (value: the integer written), "cas" (value [expected, new]).
/// Set workload: f "add" (value: the integer added, key: the set), "read" (ok value: every element read).
/// Process -1 is the nemesis: f "kill", "restart", "pause", "resume", "partition", "heal" (value: a
/// description); checkers ignore its lines, the report draws them. Processes below -1 are observers
/// (the watch workload's watchers and its committed history, see Workloads/WatchLines.cs), not clients.
/// </summary>
/// <param name="Index">Position in the file, from 0.</param>
/// <param name="Time">Nanoseconds since the run began, from a monotonic clock.</param>
/// <param name="Value">An integer, null, [expected, new] for cas, or an array of integers for a set read.</param>
public sealed record Op(
    [property: JsonPropertyName("index")] long Index,
    [property: JsonPropertyName("process")] int Process,
    [property: JsonPropertyName("type")] OpType Type,
    [property: JsonPropertyName("f")] string F,
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("value")] System.Text.Json.Nodes.JsonNode? Value,
    [property: JsonPropertyName("time")] long Time,
    [property: JsonPropertyName("node")] int? Node = null,
    [property: JsonPropertyName("error")] string? Error = null);
