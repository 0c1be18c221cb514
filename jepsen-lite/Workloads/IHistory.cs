using System.Text.Json.Nodes;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Workloads;

/// <summary>Where clients and the nemesis record what they do (history.jsonl); safe to call from any thread.</summary>
public interface IHistory
{
    void Append(int process, OpType type, string f, string key, JsonNode? value, int? node = null, string? error = null);
}
