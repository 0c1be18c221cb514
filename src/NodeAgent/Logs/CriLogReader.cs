using System.Runtime.CompilerServices;
using System.Text;

namespace KvCluster.NodeAgent.Logs;

/// <summary>What the kubelet's /containerLogs takes (PodLogOptions): all optional.</summary>
public sealed record LogReadOptions
{
    public bool Follow { get; init; }

    /// <summary>Only the last N lines (of those there when the read starts).</summary>
    public long? TailLines { get; init; }

    /// <summary>Only lines logged at or after this time (sinceSeconds is turned into one).</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Each line starts with its RFC 3339 time and a space.</summary>
    public bool Timestamps { get; init; }

    /// <summary>Stop after this many bytes of output (possibly in the middle of a line).</summary>
    public long? LimitBytes { get; init; }

    /// <summary>How often a follower looks for more.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);
}

/// <summary>A log line with its P fragments joined; <see cref="Newline"/> is false for an unfinished last line.</summary>
public sealed record LogLine(DateTimeOffset Time, LogStream Stream, byte[] Content, bool Newline);

/// <summary>Reads a CRI log (with its rotated files) as the kubelet's /containerLogs does.</summary>
public static class CriLogReader
{
    /// <summary>
    /// The lines of the log. With <see cref="LogReadOptions.Follow"/> it waits for more while
    /// <paramref name="running"/> is true and ends once it is false and the files are drained
    /// (so <paramref name="running"/> must stay true until the log writer has written everything).
    /// </summary>
    public static async IAsyncEnumerable<LogLine> ReadAsync(string path, Func<bool> running, LogReadOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        using var cursor = new CriLogCursor(path);
        var joiner = new FragmentJoiner();
        var first = Drain(cursor, joiner).ToList();
        if (!options.Follow)
        {
            first.AddRange(joiner.Flush());
        }

        foreach (var line in Tail(first, options.TailLines))
        {
            if (Keep(line, options))
            {
                yield return line;
            }
        }

        if (!options.Follow)
        {
            yield break;
        }

        await foreach (var line in FollowAsync(cursor, joiner, running, options, ct))
        {
            yield return line;
        }
    }

    /// <summary>
    /// The lines written from now on, followed as <see cref="ReadAsync"/> follows: the log's end is found before this returns,
    /// not when the enumeration starts, so a caller can then make the container write (feed its stdin) and miss nothing.
    /// </summary>
    public static IAsyncEnumerable<LogLine> ReadFromNowAsync(string path, Func<bool> running, CancellationToken ct)
    {
        var cursor = new CriLogCursor(path);
        var joiner = new FragmentJoiner();
        foreach (var _ in Drain(cursor, joiner))
        {
            // Skipped: written before now.
        }

        return FollowAsync(cursor, joiner, running, new LogReadOptions { Follow = true }, ct);
    }

    // Disposes the cursor (twice is harmless) when done: waits for more while running() is true; ends once it is false and the files are drained.
    private static async IAsyncEnumerable<LogLine> FollowAsync(CriLogCursor cursor, FragmentJoiner joiner, Func<bool> running, LogReadOptions options, [EnumeratorCancellation] CancellationToken ct)
    {
        using var owned = cursor;
        while (true)
        {
            // Sampled before draining: whatever was written before the container stopped is read below.
            bool more = running();
            long before = cursor.Records;
            foreach (var line in Drain(cursor, joiner))
            {
                if (Keep(line, options))
                {
                    yield return line;
                }
            }

            if (cursor.Records == before)
            {
                if (!more)
                {
                    foreach (var line in joiner.Flush().Where(l => Keep(l, options)))
                    {
                        yield return line;
                    }

                    yield break;
                }

                await Task.Delay(options.PollInterval, ct);
            }
        }
    }

    /// <summary>Writes the log as kubectl logs shows it (timestamps, limitBytes), flushing each line when following.</summary>
    public static async Task CopyToAsync(string path, Func<bool> running, LogReadOptions options, Stream output, CancellationToken ct)
    {
        long left = options.LimitBytes ?? long.MaxValue;
        await foreach (var line in ReadAsync(path, running, options, ct))
        {
            var bytes = Format(line, options.Timestamps);
            if (bytes.Length >= left)
            {
                await output.WriteAsync(bytes.AsMemory(0, (int)left), ct);
                break;
            }

            left -= bytes.Length;
            await output.WriteAsync(bytes, ct);
            if (options.Follow)
            {
                await output.FlushAsync(ct);
            }
        }

        await output.FlushAsync(ct);
    }

    public static byte[] Format(LogLine line, bool timestamps)
    {
        var prefix = timestamps ? Encoding.ASCII.GetBytes(CriLogEntry.FormatTime(line.Time) + " ") : [];
        var bytes = new byte[prefix.Length + line.Content.Length + (line.Newline ? 1 : 0)];
        prefix.CopyTo(bytes, 0);
        line.Content.CopyTo(bytes, prefix.Length);
        if (line.Newline)
        {
            bytes[^1] = (byte)'\n';
        }

        return bytes;
    }

    private static IEnumerable<LogLine> Drain(CriLogCursor cursor, FragmentJoiner joiner)
    {
        while (cursor.TryNext(out var entry))
        {
            if (joiner.Add(entry) is { } line)
            {
                yield return line;
            }
        }
    }

    private static IEnumerable<LogLine> Tail(List<LogLine> lines, long? tail) =>
        tail is { } n && n < lines.Count ? lines.Skip(lines.Count - (int)Math.Max(n, 0)) : lines;

    private static bool Keep(LogLine line, LogReadOptions options) => options.Since is not { } since || line.Time >= since;

    // P records of a stream wait for its next F record; stdout and stderr interleave freely.
    private sealed class FragmentJoiner
    {
        private readonly Dictionary<LogStream, (DateTimeOffset Time, MemoryStream Data)> _pending = [];

        public LogLine? Add(CriLogEntry e)
        {
            if (!_pending.Remove(e.Stream, out var p))
            {
                if (!e.Partial)
                {
                    return new LogLine(e.Time, e.Stream, e.Content.ToArray(), Newline: true);
                }

                p = (e.Time, new MemoryStream());
            }

            p.Data.Write(e.Content.Span);
            if (e.Partial)
            {
                _pending[e.Stream] = p;
                return null;
            }

            return new LogLine(p.Time, e.Stream, p.Data.ToArray(), Newline: true);
        }

        public IEnumerable<LogLine> Flush()
        {
            var lines = _pending.Select(kv => new LogLine(kv.Value.Time, kv.Key, kv.Value.Data.ToArray(), Newline: false)).OrderBy(l => l.Time).ToList();
            _pending.Clear();
            return lines;
        }
    }
}
