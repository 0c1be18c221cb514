using KvCluster.Kv;
using KvCluster.KvServer.Hosting;
using Microsoft.Extensions.Logging;

namespace KvCluster.KvServer.Maintenance;

/// <summary>
/// etcd's --auto-compaction-mode / --auto-compaction-retention.
/// periodic: keeps <c>retention</c> of history ("1h", "30m", or a bare number of hours); it samples
/// the revision every tenth of the retention (at most hourly) and compacts to the revision seen one
/// retention ago. revision: every 5 minutes, compacts to (current revision − retention).
/// </summary>
public sealed class AutoCompactor(IKv kv, string mode, TimeSpan period, long revisionsKept, TimeProvider time, ILogger logger)
{
    /// <summary>How to compact; by default the engine directly. In a cluster: the leader proposes it through Raft, others skip.</summary>
    public Func<long, CancellationToken, Task>? Compact { get; set; }

    private static readonly TimeSpan RevisionModeInterval = TimeSpan.FromMinutes(5);

    /// <summary>Parses the flags; null when auto-compaction is off.</summary>
    public static AutoCompactor? Create(IKv kv, string mode, string retention, TimeProvider time, ILogger logger)
    {
        if (retention is "" or "0" or "0s" or "0m" or "0h")
        {
            return null;
        }

        if (mode == "revision")
        {
            return long.TryParse(retention, out var n) && n > 0
                ? new AutoCompactor(kv, mode, TimeSpan.Zero, n, time, logger)
                : throw new FormatException($"invalid auto-compaction-retention \"{retention}\" for revision mode: must be a positive integer");
        }

        return new AutoCompactor(kv, mode, ParseDuration(retention), 0, time, logger);
    }

    /// <summary>A Go-style duration ("90s", "30m", "1h", "1h30m") or a bare number of hours, as etcd accepts.</summary>
    public static TimeSpan ParseDuration(string text)
    {
        if (double.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out var hours) && hours > 0)
        {
            return TimeSpan.FromHours(hours);
        }

        var total = TimeSpan.Zero;
        int i = 0;
        while (i < text.Length)
        {
            int start = i;
            while (i < text.Length && (char.IsAsciiDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            if (start == i || i == text.Length || !double.TryParse(text.AsSpan(start, i - start), System.Globalization.CultureInfo.InvariantCulture, out var n))
            {
                throw new FormatException($"invalid auto-compaction-retention \"{text}\": expected a duration such as 1h or 30m");
            }

            total += text[i++] switch
            {
                'h' => TimeSpan.FromHours(n),
                'm' => TimeSpan.FromMinutes(n),
                's' => TimeSpan.FromSeconds(n),
                _ => throw new FormatException($"invalid auto-compaction-retention \"{text}\": unknown unit '{text[i - 1]}'"),
            };
        }

        return total > TimeSpan.Zero ? total : throw new FormatException($"invalid auto-compaction-retention \"{text}\"");
    }

    public async Task RunAsync(CancellationToken ct)
    {
        var interval = mode == "revision" ? RevisionModeInterval : Min(TimeSpan.FromTicks(period.Ticks / 10), TimeSpan.FromHours(1));
        var samples = new Queue<(DateTimeOffset At, long Revision)>();
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            long target = mode == "revision" ? kv.Revision - revisionsKept : PeriodicTarget(samples);
            if (target > kv.CompactRevision)
            {
                await CompactAsync(target, ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Records the current revision and returns the newest one at least one retention old (0 if none yet).</summary>
    internal long PeriodicTarget(Queue<(DateTimeOffset At, long Revision)> samples)
    {
        var now = time.GetUtcNow();
        samples.Enqueue((now, kv.Revision));
        long target = 0;
        while (samples.Count > 0 && now - samples.Peek().At >= period)
        {
            target = samples.Dequeue().Revision;
        }

        return target;
    }

    private async Task CompactAsync(long revision, CancellationToken ct)
    {
        try
        {
            if (Compact is { } compact)
            {
                await compact(revision, ct).ConfigureAwait(false);
            }
            else
            {
                await kv.CompactAsync(revision, physical: false, appliedIndex: 0, ct).ConfigureAwait(false);
            }

            KvServerLog.AutoCompacted(logger, revision, mode, mode == "revision" ? revisionsKept.ToString(System.Globalization.CultureInfo.InvariantCulture) : period.ToString());
        }
        catch (KvException e) when (e.Code == KvErrorCode.Compacted)
        {
            // A client compacted further meanwhile.
        }
        catch (Exception e) when (e is KvException or Grpc.Core.RpcException)
        {
            KvServerLog.AutoCompactionFailed(logger, revision, e);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
