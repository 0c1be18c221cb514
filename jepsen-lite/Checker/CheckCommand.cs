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
                default:
                    output.WriteLine($"unknown: workload must be register or set, not \"{workload}\"");
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
