using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace KvCluster.JepsenLite.History;

/// <summary>A history file line that is not a valid <see cref="Op"/>, or a history whose lines do not pair up.</summary>
public sealed class HistoryFormatException(string message, int lineNumber, Exception? inner = null)
    : Exception(message, inner)
{
    /// <summary>The 1-based line number in the file (0 when the problem is not tied to one line).</summary>
    public int LineNumber { get; } = lineNumber;
}

/// <summary>Reads and writes history.jsonl (one <see cref="Op"/> per line).</summary>
public static class HistoryFile
{
    private static readonly JsonSerializerOptions _options = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>Serializes one op to its single-line JSON form (no trailing newline).</summary>
    public static string Serialize(Op op) => JsonSerializer.Serialize(op, _options);

    /// <summary>Reads every op of a history file; blank lines are skipped.</summary>
    /// <exception cref="HistoryFormatException">A line is not a valid op (the message names the line).</exception>
    public static List<Op> Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8);
        return Read(reader, path);
    }

    /// <summary>Reads every op from <paramref name="reader"/>; <paramref name="source"/> names it in errors.</summary>
    public static List<Op> Read(TextReader reader, string source = "history")
    {
        var ops = new List<Op>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }
            Op? op;
            try
            {
                op = JsonSerializer.Deserialize<Op>(line, _options);
            }
            catch (JsonException e)
            {
                throw new HistoryFormatException($"{source}:{lineNumber}: malformed history line: {e.Message}", lineNumber, e);
            }
            if (op is null || op.F is null || op.Key is null)
            {
                throw new HistoryFormatException($"{source}:{lineNumber}: malformed history line: an op needs at least \"f\" and \"key\"", lineNumber);
            }
            ops.Add(op);
        }
        return ops;
    }

    /// <summary>
    /// An integer value, whether the node was parsed from JSON or built in memory from an int, a long
    /// or another integral type.
    /// </summary>
    /// <exception cref="FormatException">The node is not an integer.</exception>
    public static long Int64(JsonNode node)
    {
        if (node is JsonValue v)
        {
            if (v.TryGetValue<long>(out var l))
            {
                return l;
            }
            if (v.GetValueKind() == JsonValueKind.Number && long.TryParse(v.ToJsonString(), System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out l))
            {
                return l;
            }
        }
        throw new FormatException($"{node.ToJsonString()} is not an integer");
    }

    /// <summary>Writes <paramref name="ops"/> to <paramref name="path"/>, one line each.</summary>
    public static void Write(string path, IEnumerable<Op> ops)
    {
        using var writer = new StreamWriter(path, append: false, new UTF8Encoding(false));
        foreach (var op in ops)
        {
            writer.Write(Serialize(op));
            writer.Write('\n');
        }
    }

    /// <summary>
    /// Pairs each client invoke with the next completion of the same process (nemesis lines, process -1,
    /// and observers' lines, processes below -1, are skipped). An invoke with no completion by the end becomes an info operation whose return is
    /// <see cref="Operation.Infinity"/>.
    /// </summary>
    /// <exception cref="HistoryFormatException">A completion without an invoke, or two invokes in a row on one process.</exception>
    public static List<Operation> Pair(IEnumerable<Op> history)
    {
        var pending = new Dictionary<int, Op>();
        var result = new List<Operation>();
        var open = new Dictionary<int, int>(); // process -> position in result of its pending op, to keep invoke order
        foreach (var op in history)
        {
            if (op.Process < 0)
            {
                // Not a client: the nemesis (-1), or an observer's record (-2 and below: the watch workload's streams).
                continue;
            }
            if (op.Type == OpType.Invoke)
            {
                if (pending.ContainsKey(op.Process))
                {
                    throw new HistoryFormatException($"op {op.Index}: process {op.Process} invoked again before its previous op completed", 0);
                }
                pending[op.Process] = op;
                open[op.Process] = result.Count;
                result.Add(null!);
                continue;
            }
            if (!pending.Remove(op.Process, out var invoke))
            {
                throw new HistoryFormatException($"op {op.Index}: a {op.Type} completion on process {op.Process} with no invoke", 0);
            }
            result[open[op.Process]] = new Operation(
                op.Process, invoke.F, invoke.Key, invoke.Value, op.Type, op.Value,
                invoke.Time, op.Time, invoke.Index, op.Index, op.Node ?? invoke.Node, op.Error);
            open.Remove(op.Process);
        }
        foreach (var (process, invoke) in pending)
        {
            result[open[process]] = new Operation(
                process, invoke.F, invoke.Key, invoke.Value, OpType.Info, null,
                invoke.Time, Operation.Infinity, invoke.Index, Operation.Infinity, invoke.Node, null);
        }
        return result;
    }
}

/// <summary>
/// One client operation: an invoke paired with its completion.
/// </summary>
/// <param name="Process">The client process.</param>
/// <param name="F">"read", "write", "cas", "add".</param>
/// <param name="Key">The register or set.</param>
/// <param name="InvokeValue">The invoke line's value (what was asked).</param>
/// <param name="Type">How it ended: ok, fail or info (info also when it never completed).</param>
/// <param name="Value">The completion line's value (for a read, what was read); null when it never completed.</param>
/// <param name="CallTime">Nanoseconds at invoke.</param>
/// <param name="ReturnTime">Nanoseconds at completion, <see cref="Infinity"/> when it never completed.</param>
/// <param name="InvokeIndex">Index of the invoke line.</param>
/// <param name="CompleteIndex">Index of the completion line, <see cref="Infinity"/> when it never completed.</param>
/// <param name="Node">The node that served it, when known.</param>
/// <param name="Error">The completion's error text, when any.</param>
public sealed record Operation(
    int Process, string F, string Key, JsonNode? InvokeValue, OpType Type, JsonNode? Value,
    long CallTime, long ReturnTime, long InvokeIndex, long CompleteIndex, int? Node = null, string? Error = null)
{
    /// <summary>Stands for +infinity in <see cref="ReturnTime"/> and <see cref="CompleteIndex"/>.</summary>
    public const long Infinity = long.MaxValue;

    /// <summary>The nemesis' process number.</summary>
    public const int NemesisProcess = -1;

    /// <summary>Whether a completion line was seen.</summary>
    public bool Completed => CompleteIndex != Infinity;

    /// <summary>A short human-readable form, e.g. <c>p3 write r1 5 → ok [lines 10..14]</c>.</summary>
    public string Describe()
    {
        var asked = InvokeValue is null ? "" : " " + InvokeValue.ToJsonString();
        var got = F == "read" && Type == OpType.Ok ? " " + (Value?.ToJsonString() ?? "null") : "";
        var end = Completed ? CompleteIndex.ToString(System.Globalization.CultureInfo.InvariantCulture) : "∞";
        return $"p{Process} {F} {Key}{asked} → {Type.ToString().ToLowerInvariant()}{got} [lines {InvokeIndex}..{end}]";
    }
}

/// <summary>
/// A thread-safe history.jsonl appender for the harness: each <see cref="Append"/> assigns the next
/// index, stamps the time (nanoseconds from a stopwatch started at construction), writes the line and
/// flushes it.
/// </summary>
public sealed class HistoryWriter : IDisposable
{
    private readonly Lock _lock = new();
    private readonly TextWriter _writer;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<Op>? _kept;
    private long _next;

    /// <summary>Creates (or truncates) <paramref name="path"/>.</summary>
    public HistoryWriter(string path, bool keepInMemory = false)
        : this(new StreamWriter(path, append: false, new UTF8Encoding(false)), keepInMemory)
    {
    }

    /// <summary>Appends to <paramref name="writer"/>, which the appender owns from now on.</summary>
    public HistoryWriter(TextWriter writer, bool keepInMemory = false)
    {
        _writer = writer;
        _kept = keepInMemory ? [] : null;
    }

    /// <summary>The ops appended so far (empty unless constructed with keepInMemory).</summary>
    public IReadOnlyList<Op> Ops
    {
        get
        {
            lock (_lock)
            {
                return _kept is null ? [] : [.. _kept];
            }
        }
    }

    /// <summary>Nanoseconds since construction.</summary>
    public long Now => (long)(_clock.ElapsedTicks * (1_000_000_000.0 / Stopwatch.Frequency));

    /// <summary>Appends one line and returns the op written.</summary>
    public Op Append(int process, OpType type, string f, string key, JsonNode? value, int? node = null, string? error = null)
    {
        lock (_lock)
        {
            var op = new Op(_next, process, type, f, key, value?.DeepClone(), Now, node, error);
            _writer.Write(HistoryFile.Serialize(op));
            _writer.Write('\n');
            _writer.Flush();
            _next++;
            _kept?.Add(op);
            return op;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_lock)
        {
            _writer.Dispose();
        }
    }
}
