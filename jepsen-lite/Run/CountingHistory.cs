using System.Text.Json.Nodes;
using KvCluster.JepsenLite.History;
using KvCluster.JepsenLite.Workloads;

namespace KvCluster.JepsenLite.Run;

/// <summary>Counts completions for the progress line and the summary, and passes every line on.</summary>
public sealed class CountingHistory(HistoryWriter inner) : IHistory
{
    private long _ok;
    private long _fail;
    private long _info;

    public long Ok => Interlocked.Read(ref _ok);

    public long Fail => Interlocked.Read(ref _fail);

    public long Info => Interlocked.Read(ref _info);

    public void Append(int process, OpType type, string f, string key, JsonNode? value, int? node = null, string? error = null)
    {
        if (process >= 0)
        {
            switch (type)
            {
                case OpType.Ok: Interlocked.Increment(ref _ok); break;
                case OpType.Fail: Interlocked.Increment(ref _fail); break;
                case OpType.Info: Interlocked.Increment(ref _info); break;
            }
        }

        inner.Append(process, type, f, key, value, node, error);
    }
}
