using System.Text.Json.Nodes;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Tests;

/// <summary>
/// Hand-written histories: one op per line, "PROCESS TYPE F KEY [VALUE-JSON]", e.g.
/// "1 invoke write x 1", "1 ok write x 1", "2 ok read x null", "3 invoke cas x [1,2]".
/// Lines get consecutive indexes, and time = 10 ns × index. "#" starts a comment; "|" separates lines too.
/// </summary>
internal static class Hist
{
    public static List<Op> Parse(string text)
    {
        var ops = new List<Op>();
        foreach (var raw in text.Split('\n', '|'))
        {
            var line = raw.Split('#')[0].Trim();
            if (line.Length == 0)
            {
                continue;
            }
            var parts = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
            var type = parts[1] switch
            {
                "invoke" => OpType.Invoke,
                "ok" => OpType.Ok,
                "fail" => OpType.Fail,
                "info" => OpType.Info,
                _ => throw new FormatException(line),
            };
            var value = parts.Length > 4 ? JsonNode.Parse(parts[4]) : null;
            ops.Add(new Op(ops.Count, int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), type, parts[2], parts[3], value, ops.Count * 10L));
        }
        return ops;
    }

    public static List<Operation> Ops(string text) => HistoryFile.Pair(Parse(text));
}
