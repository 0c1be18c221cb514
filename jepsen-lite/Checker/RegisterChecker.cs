using System.Diagnostics;
using System.Globalization;
using System.Text.Json.Nodes;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Checker;

/// <summary>A checker's verdict.</summary>
public enum Validity
{
    /// <summary>The history satisfies the property.</summary>
    Valid,

    /// <summary>The history violates it.</summary>
    Invalid,

    /// <summary>The search ran out of time (or could not decide).</summary>
    Unknown,
}

/// <summary>The verdict for one register.</summary>
/// <param name="Key">The register.</param>
/// <param name="Validity">Valid, invalid or unknown.</param>
/// <param name="Operations">The operations checked: ok ones, and info writes / cas whose value someone observed (fail ops, info reads and unobserved info writes cannot matter and are dropped).</param>
/// <param name="LinearizedPrefix">When invalid: the operations linearized, in order, in the attempt that went furthest.</param>
/// <param name="FailingOperation">When invalid: the operation that could not be linearized after that prefix.</param>
/// <param name="Explanation">A human-readable reason (invalid or unknown).</param>
/// <param name="Configurations">How many (linearized set, state) configurations were explored.</param>
public sealed record KeyResult(
    string Key, Validity Validity, IReadOnlyList<Operation> Operations,
    IReadOnlyList<Operation> LinearizedPrefix, Operation? FailingOperation, string? Explanation, long Configurations);

/// <summary>The verdict for a whole register history: invalid if any key is, else unknown if any key is, else valid.</summary>
public sealed record RegisterResult(Validity Validity, IReadOnlyList<KeyResult> Keys)
{
    /// <summary>The keys found invalid.</summary>
    public IEnumerable<KeyResult> InvalidKeys => Keys.Where(k => k.Validity == Validity.Invalid);
}

/// <summary>
/// Linearizability of per-key registers (f read / write / cas, initial value absent = null), checked
/// P-compositionally (each key alone) with the Wing–Gong / Lowe search: a list of call and return
/// entries in history order; a call is linearized when the model accepts it, a return whose call is
/// not yet linearized forces a backtrack, and a cache of (linearized set, register value)
/// keeps configurations already explored from being explored again.
/// Ok ops must take effect between their invoke and completion; fail ops are dropped; info ops may
/// take effect at any point after their invoke, or never (an info read is dropped).
/// </summary>
public static class RegisterChecker
{
    /// <summary>Checks a raw history (nemesis lines ignored).</summary>
    public static RegisterResult Check(IReadOnlyList<Op> history, TimeSpan deadline) =>
        Check(HistoryFile.Pair(history), deadline);

    /// <summary>
    /// Checks paired operations; <paramref name="deadline"/> bounds the whole search (all keys, in key
    /// order: keys left when it passes are unknown). <see cref="Timeout.InfiniteTimeSpan"/>: no limit.
    /// </summary>
    public static RegisterResult Check(IReadOnlyList<Operation> operations, TimeSpan deadline)
    {
        if (deadline == Timeout.InfiniteTimeSpan)
        {
            deadline = TimeSpan.MaxValue;
        }
        var clock = Stopwatch.StartNew();
        var keys = new List<KeyResult>();
        foreach (var group in operations.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var left = deadline - clock.Elapsed;
            keys.Add(CheckKey(group.Key, [.. group], left < TimeSpan.Zero ? TimeSpan.Zero : left));
        }
        var validity = keys.Any(k => k.Validity == Validity.Invalid) ? Validity.Invalid
            : keys.Any(k => k.Validity == Validity.Unknown) ? Validity.Unknown
            : Validity.Valid;
        return new RegisterResult(validity, keys);
    }

    /// <summary>Checks the operations of one register (all must have <paramref name="key"/>).</summary>
    public static KeyResult CheckKey(string key, IReadOnlyList<Operation> operations, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        var ops = new List<RegisterOp>();
        foreach (var o in operations)
        {
            if (o.Type == OpType.Fail || (o.Type == OpType.Info && o.F == "read"))
            {
                continue;
            }
            ops.Add(RegisterOp.From(o));
        }
        DropUnobservedInfoOps(ops);
        ops.Sort((a, b) => a.Source.InvokeIndex.CompareTo(b.Source.InvokeIndex)); // ids in call order
        var kept = ops.Select(o => o.Source).ToList();
        if (ops.Count == 0)
        {
            return new KeyResult(key, Validity.Valid, kept, [], null, null, 0);
        }

        // The entry list: one call and one return entry per op, in history (index) order.
        var entries = new List<Entry>(ops.Count * 2);
        for (var i = 0; i < ops.Count; i++)
        {
            var call = new Entry { Id = i, IsCall = true, At = ops[i].Source.InvokeIndex, Op = ops[i] };
            // An info op may take effect at any time after its invoke, even after its info line.
            var returnAt = ops[i].Source.Type == OpType.Info ? Operation.Infinity : ops[i].Source.CompleteIndex;
            var ret = new Entry { Id = i, IsCall = false, At = returnAt, Op = ops[i] };
            call.Match = ret;
            entries.Add(call);
            entries.Add(ret);
        }
        // Calls before returns at the same position, so ties count as concurrent.
        entries.Sort((a, b) => a.At != b.At ? a.At.CompareTo(b.At) : a.IsCall == b.IsCall ? a.Id.CompareTo(b.Id) : a.IsCall ? -1 : 1);
        var head = new Entry { Id = -1 };
        var prev = head;
        foreach (var e in entries)
        {
            prev.Next = e;
            e.Prev = prev;
            prev = e;
        }

        var cache = new HashSet<CacheKey>();
        // The linearization so far, as an immutable list (newest first), so the best one is kept by reference.
        Frame? stack = null;
        long? state = null;
        var entry = head.Next;
        long steps = 0;
        Frame? bestPrefix = null;
        long? bestState = null;
        RegisterOp? bestFailing = null;
        var bestDepth = -1;

        while (entry is not null)
        {
            if ((steps++ & 255) == 0 && clock.Elapsed >= deadline)
            {
                return new KeyResult(key, Validity.Unknown, kept, [], null,
                    $"the search stopped at the deadline ({deadline.TotalMilliseconds:0} ms) after {cache.Count} configurations", cache.Count);
            }
            if (entry.IsCall)
            {
                if (entry.Op.Step(state, out var next))
                {
                    var maxCall = Math.Max(stack?.MaxCall ?? -1, entry.Id);
                    if (cache.Add(new CacheKey(maxCall, Holes(head, entry, maxCall), next)))
                    {
                        stack = new Frame(entry, state, stack, (stack?.Depth ?? 0) + 1, maxCall);
                        state = next;
                        Lift(entry);
                        entry = head.Next;
                        continue;
                    }
                }
                entry = entry.Next;
                continue;
            }
            // A return entry: its op was not linearized in time.
            if (entry.Op.Source.Type == OpType.Info)
            {
                // Only info ops' returns (at +infinity) remain ahead: every ok op is linearized, and
                // the remaining info ops can be taken to have never happened.
                return new KeyResult(key, Validity.Valid, kept, [], null, null, cache.Count);
            }
            var depth = stack?.Depth ?? 0;
            if (depth > bestDepth)
            {
                bestDepth = depth;
                bestPrefix = stack;
                bestState = state;
                bestFailing = entry.Op;
            }
            if (stack is null)
            {
                break;
            }
            var (call, previous, parent, _, _) = stack;
            stack = parent;
            state = previous;
            Unlift(call);
            entry = call.Next;
        }
        if (head.Next is null)
        {
            return new KeyResult(key, Validity.Valid, kept, [], null, null, cache.Count);
        }
        var failing = bestFailing!;
        var prefix = new List<RegisterOp>();
        for (var f = bestPrefix; f is not null; f = f.Parent)
        {
            prefix.Add(f.Call.Op);
        }
        prefix.Reverse();
        var explanation = Explain(failing, bestState, prefix, ops);
        return new KeyResult(key, Validity.Invalid, kept, [.. prefix.Select(o => o.Source)], failing.Source, explanation, cache.Count);
    }

    /// <summary>
    /// Drops info writes (and info cas) whose new value no ok read returns and no cas expects. Such an
    /// op never needs to be linearized: after it the register holds a value from which only a write can
    /// follow, and that write succeeds just as well without it. Unique written values make most info
    /// writes of a faulty run unobserved, and each one left in would double the search.
    /// </summary>
    private static void DropUnobservedInfoOps(List<RegisterOp> ops)
    {
        var observed = new HashSet<long?>();
        foreach (var o in ops)
        {
            if (o.Kind == RegisterKind.Read || o.Kind == RegisterKind.Cas)
            {
                observed.Add(o.Arg);
            }
        }
        ops.RemoveAll(o => o.Source.Type == OpType.Info && o.Kind switch
        {
            RegisterKind.Write => !observed.Contains(o.Arg),
            RegisterKind.Cas => !observed.Contains(o.New),
            _ => false,
        });
    }

    private static string Explain(RegisterOp failing, long? state, List<RegisterOp> prefix, List<RegisterOp> all)
    {
        var held = Show(state);
        var why = failing.Kind switch
        {
            RegisterKind.Read => $"it read {Show(failing.Arg)}, but the register holds {held} after the longest linearizable prefix ({prefix.Count} ops)",
            RegisterKind.Cas => $"it compared against {Show(failing.Arg)} and succeeded, but the register holds {held} after the longest linearizable prefix ({prefix.Count} ops)",
            _ => $"no order of the operations concurrent with it lets the later ones see its value ({prefix.Count} ops linearized, register holds {held})",
        };
        var done = prefix.ToHashSet();
        var concurrent = all.Where(o => o != failing && !done.Contains(o)
                && o.Source.InvokeIndex < failing.Source.CompleteIndex)
            .Select(o => o.Source.Describe()).Take(5).ToList();
        var text = $"{failing.Source.Describe()} cannot be linearized: {why}";
        if (concurrent.Count > 0)
        {
            text += "; not linearized yet and possibly before it: " + string.Join("; ", concurrent);
        }
        return text;
    }

    private static string Show(long? v) => v?.ToString(CultureInfo.InvariantCulture) ?? "null (absent)";

    private static void Lift(Entry call)
    {
        call.Prev!.Next = call.Next;
        call.Next!.Prev = call.Prev;
        var ret = call.Match!;
        ret.Prev!.Next = ret.Next;
        if (ret.Next is not null)
        {
            ret.Next.Prev = ret.Prev;
        }
    }

    private static void Unlift(Entry call)
    {
        var ret = call.Match!;
        ret.Prev!.Next = ret;
        if (ret.Next is not null)
        {
            ret.Next.Prev = ret;
        }
        call.Prev!.Next = call;
        call.Next!.Prev = call;
    }

    private enum RegisterKind { Read, Write, Cas }

    private sealed class RegisterOp
    {
        public required Operation Source { get; init; }
        public RegisterKind Kind { get; init; }
        public long? Arg { get; init; }   // read: value read; write: value written; cas: expected
        public long? New { get; init; }   // cas: new value

        public static RegisterOp From(Operation o)
        {
            try
            {
                return o.F switch
                {
                    "read" => new RegisterOp { Source = o, Kind = RegisterKind.Read, Arg = Int(o.Value) },
                    "write" => new RegisterOp { Source = o, Kind = RegisterKind.Write, Arg = Int(o.InvokeValue) },
                    "cas" => new RegisterOp
                    {
                        Source = o, Kind = RegisterKind.Cas,
                        Arg = Int(o.InvokeValue!.AsArray()[0]), New = Int(o.InvokeValue.AsArray()[1]),
                    },
                    _ => throw new FormatException($"unknown register f \"{o.F}\""),
                };
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or NullReferenceException or ArgumentOutOfRangeException)
            {
                throw new FormatException($"register op {o.Describe()}: bad value: {e.Message}", e);
            }
        }

        private static long? Int(JsonNode? n) => n is null ? null : HistoryFile.Int64(n);

        /// <summary>Applies the op to <paramref name="state"/>; false when it cannot happen there.</summary>
        public bool Step(long? state, out long? next)
        {
            switch (Kind)
            {
                case RegisterKind.Read:
                    next = state;
                    return state == Arg;
                case RegisterKind.Write:
                    next = Arg;
                    return true;
                default:
                    if (state == Arg)
                    {
                        next = New;
                        return true;
                    }
                    // An ok cas cannot happen here. An info one whose compare fails did nothing, which
                    // is the same as never linearizing it (allowed for info ops), so no branch for it.
                    next = state;
                    return false;
            }
        }
    }

    /// <param name="MaxCall">The greatest id (latest call) linearized so far.</param>
    private sealed record Frame(Entry Call, long? State, Frame? Parent, int Depth, int MaxCall);

    /// <summary>
    /// The linearized set, compactly: with M the latest call linearized, every op called after M is not
    /// linearized and every op called up to M is, except the "holes" — the call entries still in the
    /// list up to M (pending info ops and a few concurrent ones). (M, holes) names the set exactly, in
    /// space proportional to the concurrency rather than to the history's length.
    /// </summary>
    private static int[] Holes(Entry head, Entry linearizing, int maxCall)
    {
        List<int>? holes = null;
        for (var e = head.Next; e is not null; e = e.Next)
        {
            if (!e.IsCall || e == linearizing)
            {
                continue;
            }
            if (e.Id > maxCall)
            {
                break;
            }
            (holes ??= []).Add(e.Id);
        }
        return holes is null ? [] : [.. holes];
    }

    private sealed class Entry
    {
        public int Id { get; init; }
        public bool IsCall { get; init; }
        public long At { get; init; }
        public RegisterOp Op { get; init; } = null!;
        public Entry? Match { get; set; }
        public Entry? Prev { get; set; }
        public Entry? Next { get; set; }
    }

    private readonly struct CacheKey(int maxCall, int[] holes, long? state) : IEquatable<CacheKey>
    {
        private readonly int _maxCall = maxCall;
        private readonly int[] _holes = holes;
        private readonly long? _state = state;

        public bool Equals(CacheKey other) =>
            _maxCall == other._maxCall && _state == other._state && _holes.AsSpan().SequenceEqual(other._holes);

        public override bool Equals(object? obj) => obj is CacheKey k && Equals(k);

        public override int GetHashCode()
        {
            var h = new HashCode();
            h.Add(_maxCall);
            h.Add(_state);
            foreach (var id in _holes)
            {
                h.Add(id);
            }
            return h.ToHashCode();
        }
    }
}
