using System.Text.Json;

namespace KvCluster.ApiBench;

/// <summary>A workload's results: human-readable lines and one JSON object (the same figures).</summary>
internal sealed class Report
{
    public Dictionary<string, object> Json { get; } = [];

    public List<string> Lines { get; } = [];

    /// <summary>Failed requests, missed watch events, watches that ended early: any makes the exit code 1.</summary>
    public int Errors { get; set; }

    /// <summary>
    /// No --json: the lines on stdout. "--json" (or "--json -"): the JSON object alone on stdout, the
    /// lines on stderr. "--json FILE": the lines on stdout and the JSON object in FILE (as kvbench).
    /// </summary>
    public void Write(string json)
    {
        var text = string.Join(Environment.NewLine, Lines);
        switch (json)
        {
            case "":
                Console.WriteLine(text);
                break;
            case "true" or "-":
                Console.Error.WriteLine(text);
                Console.WriteLine(JsonSerializer.Serialize(Json));
                break;
            default:
                Console.WriteLine(text);
                File.WriteAllText(json, JsonSerializer.Serialize(Json) + Environment.NewLine);
                break;
        }
    }

    /// <summary>The figures of a closed-loop run (create, get), under the names kvbench's JSON uses.</summary>
    public void AddClosedLoop(string verb, ClosedLoop.Result r)
    {
        var ok = r.Sorted.Length;
        Json["total"] = r.Total;
        Json["succeeded"] = ok;
        Json["errors"] = r.Errors.Total;
        Json["errors_by_code"] = r.Errors.ToJson();
        Json["seconds"] = Math.Round(r.Elapsed.TotalSeconds, 3);
        Json["requests_per_second"] = Math.Round(ok / r.Elapsed.TotalSeconds, 1);
        Samples.Describe(r.Sorted, Json);
        Errors += r.Errors.Total;
        Lines.Add($"Summary: {r.Total} {verb} requests in {r.Elapsed.TotalSeconds:F2} s, {r.Errors.Total} errors");
        Lines.Add($"  {verb}s/sec (successful): {Json["requests_per_second"]}");
        Lines.Add($"  Latency ms: {Samples.Line(r.Sorted)}");
        AddErrors(r.Errors);
    }

    public void AddErrors(ErrorCounter errors)
    {
        foreach (var line in errors.Describe())
        {
            Lines.Add("  error " + line);
        }
    }
}
