using System.Text.Json.Nodes;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Checker;

/// <summary>The verdict for one set (one key of the set workload).</summary>
/// <param name="Key">The set.</param>
/// <param name="Validity">Invalid if anything is lost, unexpected or resurrected; unknown if no read succeeded.</param>
/// <param name="FinalRead">The last successful read (by completion), null when none succeeded.</param>
/// <param name="Attempted">Every element an add was invoked for.</param>
/// <param name="Acknowledged">Elements whose add completed ok.</param>
/// <param name="Lost">Ok adds completed before the final read began, yet missing from it.</param>
/// <param name="Unexpected">Elements read that no add ever attempted.</param>
/// <param name="FailedButPresent">Elements read whose every add failed (a fail means it did not happen).</param>
/// <param name="Recovered">Info (indeterminate) adds present in the final read.</param>
/// <param name="Unconfirmed">Ok adds missing from the final read but concurrent with it (not counted as lost).</param>
public sealed record SetKeyResult(
    string Key, Validity Validity, Operation? FinalRead,
    IReadOnlyList<long> Attempted, IReadOnlyList<long> Acknowledged, IReadOnlyList<long> Lost,
    IReadOnlyList<long> Unexpected, IReadOnlyList<long> FailedButPresent, IReadOnlyList<long> Recovered,
    IReadOnlyList<long> Unconfirmed);

/// <summary>The verdict for a set history: invalid if any set is, else unknown if any is, else valid.</summary>
public sealed record SetResult(Validity Validity, IReadOnlyList<SetKeyResult> Sets);

/// <summary>
/// The set workload: f "add" (invoke value: the element) and f "read" (ok value: every element).
/// The last successful read of each set is compared with the adds.
/// </summary>
public static class SetChecker
{
    /// <summary>Checks a raw history (nemesis lines ignored).</summary>
    public static SetResult Check(IReadOnlyList<Op> history) => Check(HistoryFile.Pair(history));

    /// <summary>Checks paired operations.</summary>
    public static SetResult Check(IReadOnlyList<Operation> operations)
    {
        var sets = new List<SetKeyResult>();
        foreach (var group in operations.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            sets.Add(CheckSet(group.Key, [.. group]));
        }
        var validity = sets.Any(s => s.Validity == Validity.Invalid) ? Validity.Invalid
            : sets.Any(s => s.Validity == Validity.Unknown) ? Validity.Unknown
            : Validity.Valid;
        return new SetResult(validity, sets);
    }

    private static SetKeyResult CheckSet(string key, List<Operation> ops)
    {
        var adds = ops.Where(o => o.F == "add").ToList();
        var final = ops.Where(o => o.F == "read" && o.Type == OpType.Ok).MaxBy(o => o.CompleteIndex);
        foreach (var o in ops.Where(o => o.F is not ("add" or "read")))
        {
            throw new FormatException($"set op {o.Describe()}: unknown f \"{o.F}\"");
        }

        var attempted = new SortedSet<long>(adds.Select(a => Element(a)));
        var ok = new SortedSet<long>(adds.Where(a => a.Type == OpType.Ok).Select(a => Element(a)));
        var info = new SortedSet<long>(adds.Where(a => a.Type == OpType.Info).Select(a => Element(a)));
        var failedOnly = new SortedSet<long>(adds.Where(a => a.Type == OpType.Fail).Select(a => Element(a)));
        failedOnly.ExceptWith(ok);
        failedOnly.ExceptWith(info);

        if (final is null)
        {
            return new SetKeyResult(key, Validity.Unknown, null, [.. attempted], [.. ok], [], [], [], [], []);
        }
        var read = new HashSet<long>();
        foreach (var n in final.Value?.AsArray() ?? throw new FormatException($"set read {final.Describe()}: no elements array"))
        {
            read.Add(n is not null ? HistoryFile.Int64(n) : throw new FormatException($"set read {final.Describe()}: a null element"));
        }

        var lost = new List<long>();
        var unconfirmed = new List<long>();
        foreach (var a in adds.Where(a => a.Type == OpType.Ok).OrderBy(a => Element(a)))
        {
            var e = Element(a);
            if (read.Contains(e) || lost.Contains(e) || unconfirmed.Contains(e))
            {
                continue;
            }
            (a.CompleteIndex < final.InvokeIndex ? lost : unconfirmed).Add(e);
        }
        var unexpected = read.Where(e => !attempted.Contains(e)).Order().ToList();
        var resurrected = read.Where(failedOnly.Contains).Order().ToList();
        var recovered = read.Where(e => info.Contains(e) && !ok.Contains(e)).Order().ToList();
        var validity = lost.Count > 0 || unexpected.Count > 0 || resurrected.Count > 0 ? Validity.Invalid : Validity.Valid;
        return new SetKeyResult(key, validity, final, [.. attempted], [.. ok], lost, unexpected, resurrected, recovered, unconfirmed);
    }

    private static long Element(Operation add) =>
        add.InvokeValue is JsonValue v ? HistoryFile.Int64(v) : throw new FormatException($"set add {add.Describe()}: value is not an integer");
}
