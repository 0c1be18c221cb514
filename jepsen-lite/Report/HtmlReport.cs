using System.Globalization;
using System.Net;
using System.Text;
using KvCluster.JepsenLite.Checker;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Report;

/// <summary>
/// report.html for a run: a summary (verdict per key, op counts, faults) and, for each invalid
/// register, an SVG time axis (one row per process, a bar per op from call to return coloured by
/// ok / fail / info, nemesis faults as shaded bands and marks, the failing op outlined in red) with
/// the longest linearizable prefix listed. Plain HTML and inline SVG, no scripts.
/// </summary>
public static class HtmlReport
{
    private const int ChartLeft = 70;
    private const int ChartWidth = 1000;
    private const int RowHeight = 22;
    private const int AxisHeight = 30;
    private const int WindowOps = 20;

    /// <summary>Writes the report of a register check to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<Op> history, IReadOnlyList<Operation> ops, RegisterResult result) =>
        File.WriteAllText(path, Render(history, ops, result), new UTF8Encoding(false));

    /// <summary>Writes the report of a set check to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<Op> history, IReadOnlyList<Operation> ops, SetResult result) =>
        File.WriteAllText(path, Render(history, ops, result), new UTF8Encoding(false));

    /// <summary>The HTML of a register report.</summary>
    public static string Render(IReadOnlyList<Op> history, IReadOnlyList<Operation> ops, RegisterResult result)
    {
        var html = new StringBuilder();
        Begin(html, "register", result.Validity, ops, history);
        html.Append("<h2>Keys</h2>\n<table><tr><th>key</th><th>verdict</th><th>ops checked</th><th>configurations</th><th>note</th></tr>\n");
        foreach (var k in result.Keys)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr class=\"{Word(k.Validity)}\"><td>{E(k.Key)}</td><td>{Word(k.Validity)}</td><td>{k.Operations.Count}</td><td>{k.Configurations}</td><td>{E(k.Explanation ?? "")}</td></tr>\n");
        }
        html.Append("</table>\n");
        var nemesis = NemesisLines(history);
        foreach (var k in result.InvalidKeys)
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>Key {E(k.Key)}: not linearizable</h2>\n");
            html.Append(CultureInfo.InvariantCulture, $"<p class=\"failing\"><b>Could not linearize:</b> {E(k.FailingOperation!.Describe())}</p>\n");
            html.Append(CultureInfo.InvariantCulture, $"<p>{E(k.Explanation ?? "")}</p>\n");
            Chart(html, k, [.. ops.Where(o => o.Key == k.Key)], nemesis);
            html.Append(CultureInfo.InvariantCulture, $"<h3>Longest linearizable prefix ({k.LinearizedPrefix.Count} ops)</h3>\n<ol>\n");
            foreach (var o in k.LinearizedPrefix)
            {
                html.Append(CultureInfo.InvariantCulture, $"<li>{E(o.Describe())}</li>\n");
            }
            html.Append("</ol>\n");
        }
        End(html, nemesis);
        return html.ToString();
    }

    /// <summary>The HTML of a set report.</summary>
    public static string Render(IReadOnlyList<Op> history, IReadOnlyList<Operation> ops, SetResult result)
    {
        var html = new StringBuilder();
        Begin(html, "set", result.Validity, ops, history);
        html.Append("<h2>Sets</h2>\n<table><tr><th>set</th><th>verdict</th><th>attempted</th><th>acknowledged</th><th>lost</th><th>unexpected</th><th>failed but present</th><th>recovered info adds</th><th>unconfirmed</th></tr>\n");
        foreach (var s in result.Sets)
        {
            html.Append(CultureInfo.InvariantCulture,
                $"<tr class=\"{Word(s.Validity)}\"><td>{E(s.Key)}</td><td>{Word(s.Validity)}{(s.FinalRead is null ? " (no successful read)" : "")}</td><td>{s.Attempted.Count}</td><td>{s.Acknowledged.Count}</td><td>{List(s.Lost)}</td><td>{List(s.Unexpected)}</td><td>{List(s.FailedButPresent)}</td><td>{List(s.Recovered)}</td><td>{List(s.Unconfirmed)}</td></tr>\n");
        }
        html.Append("</table>\n");
        End(html, NemesisLines(history));
        return html.ToString();
    }

    private static void Begin(StringBuilder html, string workload, Validity validity, IReadOnlyList<Operation> ops, IReadOnlyList<Op> history)
    {
        html.Append("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>jepsen-lite report</title>\n<style>\n")
            .Append("body{font-family:sans-serif;margin:1.5em} table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;font-size:13px}\n")
            .Append("tr.invalid td{background:#fdd} tr.unknown td{background:#ffd} .failing{color:#b00} .verdict-invalid{color:#b00} .verdict-valid{color:#080} .verdict-unknown{color:#a80}\n")
            .Append("svg text{font-size:11px;font-family:monospace}\n</style></head><body>\n");
        var nemesisCount = history.Count(o => o.Process == Operation.NemesisProcess);
        html.Append(CultureInfo.InvariantCulture, $"<h1>jepsen-lite: {workload} workload — <span class=\"verdict-{Word(validity)}\">{Word(validity)}</span></h1>\n");
        html.Append(CultureInfo.InvariantCulture,
            $"<p>{ops.Count} client operations: {ops.Count(o => o.Type == OpType.Ok)} ok, {ops.Count(o => o.Type == OpType.Fail)} fail, {ops.Count(o => o.Type == OpType.Info)} info; {nemesisCount} nemesis lines; {history.Count} history lines.</p>\n");
    }

    private static void End(StringBuilder html, List<Op> nemesis)
    {
        html.Append("<h2>Faults</h2>\n");
        if (nemesis.Count == 0)
        {
            html.Append("<p>none</p>\n");
        }
        else
        {
            html.Append("<table><tr><th>time (s)</th><th>f</th><th>value</th><th>node</th></tr>\n");
            foreach (var n in nemesis)
            {
                html.Append(CultureInfo.InvariantCulture,
                    $"<tr><td>{Seconds(n.Time)}</td><td>{E(n.F)}</td><td>{E(n.Value?.ToJsonString() ?? "")}</td><td>{n.Node?.ToString(CultureInfo.InvariantCulture) ?? ""}</td></tr>\n");
            }
            html.Append("</table>\n");
        }
        html.Append("</body></html>\n");
    }

    private static void Chart(StringBuilder html, KeyResult k, List<Operation> keyOps, List<Op> nemesis)
    {
        var failing = k.FailingOperation!;
        // A window around the failure: from the earliest call among the last prefix ops and the failing op, to the failing op's return.
        var tail = k.LinearizedPrefix.Skip(Math.Max(0, k.LinearizedPrefix.Count - WindowOps)).Append(failing).ToList();
        var start = tail.Min(o => o.CallTime);
        var lastFinite = keyOps.Where(o => o.ReturnTime != Operation.Infinity).Select(o => o.ReturnTime).DefaultIfEmpty(failing.CallTime).Max();
        var end = failing.ReturnTime == Operation.Infinity ? lastFinite : failing.ReturnTime;
        var span = Math.Max(1, end - start);
        start -= span / 10;
        end += span / 10;
        span = end - start;
        var shown = keyOps.Where(o => o.CallTime <= end && (o.ReturnTime == Operation.Infinity || o.ReturnTime >= start)).ToList();
        var rows = shown.Select(o => o.Process).Distinct().Order().ToList();
        var height = AxisHeight + (rows.Count * RowHeight) + 10;
        double X(long t) => ChartLeft + (Math.Clamp((double)(t - start) / span, 0, 1) * ChartWidth);

        html.Append(CultureInfo.InvariantCulture,
            $"<p>Window {Seconds(start)} s – {Seconds(end)} s (times from the start of the run): {shown.Count} ops on this key (green ok, grey fail, orange info; red outline: the op that could not be linearized; shaded: faults).</p>\n");
        html.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{ChartLeft + ChartWidth + 20}\" height=\"{height}\">\n");
        // Faults: bands from a fault's start to its end, and a mark for every nemesis line.
        foreach (var (from, to, label) in FaultBands(nemesis))
        {
            if (to < start || from > end)
            {
                continue;
            }
            var x1 = X(from);
            var x2 = X(to);
            html.Append(CultureInfo.InvariantCulture,
                $"<rect x=\"{x1:0.0}\" y=\"{AxisHeight}\" width=\"{Math.Max(1, x2 - x1):0.0}\" height=\"{rows.Count * RowHeight}\" fill=\"#c8c8ff\" opacity=\"0.35\"><title>{E(label)}</title></rect>\n");
        }
        foreach (var n in nemesis.Where(n => n.Time >= start && n.Time <= end))
        {
            var x = X(n.Time);
            html.Append(CultureInfo.InvariantCulture,
                $"<line x1=\"{x:0.0}\" y1=\"12\" x2=\"{x:0.0}\" y2=\"{height - 10}\" stroke=\"#55f\" stroke-dasharray=\"3,3\"/><text x=\"{x + 2:0.0}\" y=\"11\" fill=\"#33c\">{E(n.F)}</text>\n");
        }
        // Axis.
        html.Append(CultureInfo.InvariantCulture,
            $"<line x1=\"{ChartLeft}\" y1=\"{AxisHeight - 4}\" x2=\"{ChartLeft + ChartWidth}\" y2=\"{AxisHeight - 4}\" stroke=\"#000\"/>\n");
        for (var i = 0; i <= 4; i++)
        {
            var t = start + (span * i / 4);
            html.Append(CultureInfo.InvariantCulture,
                $"<text x=\"{X(t) - 20:0.0}\" y=\"{AxisHeight - 8}\">{Tick(t, span)}</text>\n");
        }
        for (var r = 0; r < rows.Count; r++)
        {
            var y = AxisHeight + (r * RowHeight);
            html.Append(CultureInfo.InvariantCulture, $"<text x=\"4\" y=\"{y + 15}\">p{rows[r]}</text>\n");
        }
        foreach (var o in shown)
        {
            var y = AxisHeight + (rows.IndexOf(o.Process) * RowHeight) + 3;
            var x1 = X(o.CallTime);
            var x2 = o.ReturnTime == Operation.Infinity ? ChartLeft + ChartWidth : X(o.ReturnTime);
            var fill = o.Type switch { OpType.Ok => "#7c7", OpType.Fail => "#bbb", _ => "#fb5" };
            var isFailing = ReferenceEquals(o, failing) || o == failing;
            var stroke = isFailing ? " stroke=\"#d00\" stroke-width=\"3\"" : " stroke=\"#444\" stroke-width=\"0.5\"";
            var label = o.F switch
            {
                "read" => o.Type == OpType.Ok ? $"r {o.Value?.ToJsonString() ?? "null"}" : "r ?",
                "write" => $"w {o.InvokeValue?.ToJsonString()}",
                _ => $"{o.F} {o.InvokeValue?.ToJsonString()}",
            };
            html.Append(CultureInfo.InvariantCulture,
                $"<g{(isFailing ? " class=\"failing-op\"" : "")}><rect x=\"{x1:0.0}\" y=\"{y}\" width=\"{Math.Max(2, x2 - x1):0.0}\" height=\"{RowHeight - 6}\" fill=\"{fill}\"{stroke}/><text x=\"{x1 + 2:0.0}\" y=\"{y + 12}\">{E(label)}</text><title>{E(o.Describe())}</title></g>\n");
        }
        html.Append("</svg>\n");
    }

    /// <summary>Nemesis lines to draw: its completions, or its invokes when it logged no completions.</summary>
    private static List<Op> NemesisLines(IReadOnlyList<Op> history)
    {
        var all = history.Where(o => o.Process == Operation.NemesisProcess).ToList();
        var done = all.Where(o => o.Type != OpType.Invoke).ToList();
        return done.Count > 0 ? done : all;
    }

    /// <summary>kill…restart, pause…resume, partition…heal; a fault never ended runs to the last line.</summary>
    private static List<(long From, long To, string Label)> FaultBands(List<Op> nemesis)
    {
        var ends = new Dictionary<string, string> { ["restart"] = "kill", ["resume"] = "pause", ["heal"] = "partition" };
        var open = new Dictionary<string, Op>();
        var bands = new List<(long, long, string)>();
        foreach (var n in nemesis)
        {
            if (n.F is "kill" or "pause" or "partition")
            {
                open.TryAdd(n.F, n);
            }
            else if (ends.TryGetValue(n.F, out var begin) && open.Remove(begin, out var b))
            {
                bands.Add((b.Time, n.Time, $"{b.F} {b.Value?.ToJsonString()} … {n.F}"));
            }
        }
        var last = nemesis.Count > 0 ? long.MaxValue : 0;
        foreach (var b in open.Values)
        {
            bands.Add((b.Time, last, $"{b.F} {b.Value?.ToJsonString()} (not ended)"));
        }
        return bands;
    }

    private static string Word(Validity v) => v.ToString().ToLowerInvariant();

    /// <summary>An axis label in a unit that suits the window's span.</summary>
    private static string Tick(long ns, long span) =>
        span < 10_000 ? $"{ns.ToString(CultureInfo.InvariantCulture)}ns"
        : span < 10_000_000 ? $"{(ns / 1e3).ToString("0.0", CultureInfo.InvariantCulture)}µs"
        : span < 10_000_000_000 ? $"{(ns / 1e6).ToString("0.0", CultureInfo.InvariantCulture)}ms"
        : $"{(ns / 1e9).ToString("0.00", CultureInfo.InvariantCulture)}s";

    private static string Seconds(long ns) => (ns / 1e9).ToString("0.000", CultureInfo.InvariantCulture);

    private static string List(IReadOnlyList<long> xs) =>
        xs.Count == 0 ? "" : E(string.Join(", ", xs.Take(50)) + (xs.Count > 50 ? $", … ({xs.Count})" : ""));

    private static string E(string s) => WebUtility.HtmlEncode(s);
}
