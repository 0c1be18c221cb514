using System.Text.Json.Nodes;

namespace KvCluster.KvServer.Tests.Infra;

/// <summary>Makes etcdctl output comparable across servers: drops what differs by nature (ids, term), keeps everything else.</summary>
public static class JsonNormalizer
{
    private static readonly HashSet<string> Volatile = ["cluster_id", "member_id", "raft_term"];

    public static string Normalize(string output)
    {
        var lines = new List<string>();
        foreach (var line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            var t = line.Trim();
            if (t.StartsWith('{') && TryParse(t) is { } node)
            {
                Strip(node);
                lines.Add(node.ToJsonString());
            }
            else
            {
                lines.Add(t);
            }
        }

        return string.Join('\n', lines);
    }

    /// <summary>The "Error: …" lines of etcdctl's stderr (clientv3 retry warnings are noise).</summary>
    public static string Errors(string stderr) =>
        string.Join('\n', stderr.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("Error:", StringComparison.Ordinal)));

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return null;
        }
    }

    private static void Strip(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var key in o.Select(p => p.Key).Where(Volatile.Contains).ToList())
                {
                    o.Remove(key);
                }

                foreach (var p in o)
                {
                    Strip(p.Value);
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Strip(item);
                }

                break;
        }
    }
}
