using KvCluster.JepsenLite.History;
using KvCluster.JepsenLite.Report;

namespace KvCluster.JepsenLite.Checker;

/// <summary>
/// <c>jepsen-lite check FILE --workload register|set</c>: reads a history, checks it and prints one
/// summary line. Exit code 0 valid, 1 invalid, 2 unknown or a usage / input error.
/// </summary>
public static class CheckCommand
{
    /// <summary>Exit code: the history is valid.</summary>
    public const int ExitValid = 0;

    /// <summary>Exit code: the history is invalid.</summary>
    public const int ExitInvalid = 1;

    /// <summary>Exit code: unknown (deadline), or a usage / input error.</summary>
    public const int ExitUnknown = 2;

    /// <summary>Checks <paramref name="file"/> without writing a report.</summary>
    public static int Run(string file, string workload, TimeSpan limit, TextWriter output) =>
        Run(file, workload, limit, output, reportPath: null);

    /// <summary>Checks <paramref name="file"/>; when <paramref name="reportPath"/> is set, also writes an HTML report there.</summary>
    public static int Run(string file, string workload, TimeSpan limit, TextWriter output, string? reportPath)
    {
        List<Op> history;
        List<Operation> ops;
        try
        {
            history = HistoryFile.Read(file);
            ops = HistoryFile.Pair(history);
        }
        catch (Exception e) when (e is HistoryFormatException or IOException or UnauthorizedAccessException)
        {
            output.WriteLine($"unknown: cannot read {file}: {e.Message}");
            return ExitUnknown;
        }
        var counts = Counts(ops);
        try
        {
            switch (workload)
            {
                case "register":
                {
                    var result = RegisterChecker.Check(ops, limit);
                    output.WriteLine(Summary(result, counts));
                    if (reportPath is not null)
                    {
                        HtmlReport.Write(reportPath, history, ops, result);
                    }
                    return Exit(result.Validity);
                }
                case "set":
                {
                    var result = SetChecker.Check(ops);
                    output.WriteLine(Summary(result, counts));
                    if (reportPath is not null)
                    {
                        HtmlReport.Write(reportPath, history, ops, result);
                    }
                    return Exit(result.Validity);
                }
                case "lease":
                {
                    var result = LeaseChecker.Check(ops);
                    var byKind = string.Join(", ", result.Violations.GroupBy(v => v.Kind).Select(g => $"{g.Key} {g.Count()}"));
                    output.WriteLine($"{Word(result.Validity)}: {result.Keys} leased keys, {counts}"
                        + (result.Violations.Count > 0 ? $"; {result.Violations.Count} violations ({byKind}): {string.Join("; ", result.Violations.Take(3).Select(v => v.Message))}" : ""));
                    if (reportPath is not null)
                    {
                        File.WriteAllText(reportPath, $"<!doctype html><meta charset=utf-8><title>jepsen-lite lease</title><h1>lease: {Word(result.Validity)}</h1><ul>{string.Concat(result.Violations.Select(v => $"<li>{System.Net.WebUtility.HtmlEncode(v.Kind + ": " + v.Message)}</li>"))}</ul>");
                    }

                    return Exit(result.Validity);
                }
                case "watch":
                {
                    var (watchers, committed, prevs) = WatchHistory.Parse(history);
                    var result = WatchChecker.Check(watchers, committed);
                    var problems = result.Violations.Select(v => $"{v.Property} {v.Watcher} rev {v.Revision} {v.Key}: {v.Message}")
                        .Concat(WatchHistory.PrevKvErrors(committed, prevs).Select(e => "PrevKv " + e))
                        .Concat(WatchHistory.LostWrites(history, committed).Select(e => "Lost " + e)).ToList();
                    var valid = committed.Count > 0 && problems.Count == 0;
                    output.WriteLine($"{(valid ? "valid" : "invalid")}: {watchers.Count} watchers, {watchers.Sum(w => w.Events.Count)} events received, {committed.Count} committed, {counts}"
                        + (committed.Count == 0 ? "; no committed history recorded" : "")
                        + (problems.Count > 0 ? $"; {problems.Count} problems: {string.Join("; ", problems.Take(5))}" : ""));
                    if (reportPath is not null)
                    {
                        File.WriteAllText(reportPath, $"<!doctype html><meta charset=utf-8><title>jepsen-lite watch</title><h1>watch: {(valid ? "valid" : "invalid")}</h1><ul>{string.Concat(problems.Select(p => $"<li>{System.Net.WebUtility.HtmlEncode(p)}</li>"))}</ul>");
                    }

                    return valid ? ExitValid : ExitInvalid;
                }
                default:
                    output.WriteLine($"unknown: workload must be register, set, watch or lease, not \"{workload}\"");
                    return ExitUnknown;
            }
        }
        catch (FormatException e)
        {
            output.WriteLine($"unknown: {file}: {e.Message}");
            return ExitUnknown;
        }
    }

    /// <summary>The one-line summary of a register check.</summary>
    public static string Summary(RegisterResult result, string counts)
    {
        var line = $"{Word(result.Validity)}: {result.Keys.Count} keys, {counts}";
        var bad = result.InvalidKeys.FirstOrDefault();
        if (bad is not null)
        {
            line += $"; key {bad.Key} ({result.InvalidKeys.Count()} invalid): {bad.Explanation}";
        }
        else if (result.Validity == Validity.Unknown)
        {
            var keys = result.Keys.Where(k => k.Validity == Validity.Unknown).Select(k => k.Key).ToList();
            line += $"; undecided keys: {string.Join(", ", keys.Take(10))}{(keys.Count > 10 ? ", ..." : "")}";
        }
        return line;
    }

    /// <summary>The one-line summary of a set check.</summary>
    public static string Summary(SetResult result, string counts)
    {
        var line = $"{Word(result.Validity)}: {result.Sets.Count} sets, {counts}";
        foreach (var s in result.Sets.Where(s => s.Validity != Validity.Valid))
        {
            line += s.FinalRead is null
                ? $"; set {s.Key}: no successful read"
                : $"; set {s.Key}: lost [{string.Join(",", s.Lost)}] unexpected [{string.Join(",", s.Unexpected)}] failed-but-present [{string.Join(",", s.FailedButPresent)}]";
        }
        var recovered = result.Sets.Sum(s => s.Recovered.Count);
        return line + $"; {recovered} info adds recovered";
    }

    /// <summary>"ok N, fail N, info N" over client operations.</summary>
    public static string Counts(IEnumerable<Operation> ops)
    {
        int ok = 0, fail = 0, info = 0;
        foreach (var o in ops)
        {
            switch (o.Type)
            {
                case OpType.Ok: ok++; break;
                case OpType.Fail: fail++; break;
                default: info++; break;
            }
        }
        return $"ok {ok}, fail {fail}, info {info}";
    }

    private static string Word(Validity v) => v switch
    {
        Validity.Valid => "valid",
        Validity.Invalid => "invalid",
        _ => "unknown",
    };

    private static int Exit(Validity v) => v switch
    {
        Validity.Valid => ExitValid,
        Validity.Invalid => ExitInvalid,
        _ => ExitUnknown,
    };
}
