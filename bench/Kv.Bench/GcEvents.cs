using System.Diagnostics.Tracing;

namespace KvCluster.Kv.Bench;

/// <summary>
/// The runtime's own GC events while a phase runs: each collection's generation and kind (blocking,
/// background, foreground during a background one), its pause (suspension to restart) and the bytes it
/// promoted, summed by generation and kind. Says where the paused time of a phase goes.
/// </summary>
internal sealed class GcEvents : EventListener
{
    private const int GcStart = 1, GcHeapStats = 4, SuspendBegin = 9, RestartEnd = 3, AllocationTick = 10;
    private readonly Dictionary<string, long> _allocatedByType = [];
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (int Count, double PauseMs, long Promoted)> _byKind = [];
    private DateTime _suspendedAt;
    private string _current = "?";
    private bool _on;

    public void Begin()
    {
        lock (_lock)
        {
            _byKind.Clear();
            _allocatedByType.Clear();
            _on = true;
        }
    }

    public string Summary()
    {
        lock (_lock)
        {
            _on = false;
            long all = Math.Max(1, _allocatedByType.Values.Sum());
            string types = string.Join(", ", _allocatedByType.OrderByDescending(t => t.Value).Take(12)
                .Select(t => $"{t.Key} {100.0 * t.Value / all:F0}%"));
            return "allocated (sampled): " + types + "\n     " + string.Join("; ", _byKind.OrderBy(k => k.Key).Select(k =>
                $"{k.Key}: {k.Value.Count} GCs, {k.Value.PauseMs:N0} ms paused ({k.Value.PauseMs / k.Value.Count:F1} each), {k.Value.Promoted / (double)k.Value.Count / 1048576:F2} MiB promoted each"));
        }
    }

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime")
        {
            // Verbose: also the allocation ticks (one per ~100 KB allocated, naming the type that crossed it).
            EnableEvents(source, EventLevel.Verbose, (EventKeywords)0x1);
        }
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        lock (_lock)
        {
            if (!_on || e.Payload is null)
            {
                return;
            }

            switch (e.EventId)
            {
                case GcStart:
                    uint depth = Convert.ToUInt32(e.Payload[1]);
                    uint kind = Convert.ToUInt32(e.Payload[3]);
                    string reason = Convert.ToUInt32(e.Payload[2]) switch { 0 => "alloc", 1 => "induced", 3 => "lowmem", 4 => "empty", 5 => "loh", var r => $"r{r}" };
                    _current = $"gen{depth} {(kind switch { 0 => "blocking", 1 => "background", 2 => "foreground", _ => "?" })} ({reason})";
                    Add(_current, 0, 0, count: 1);
                    break;
                case GcHeapStats:
                    long promoted = Convert.ToInt64(e.Payload[1]) + Convert.ToInt64(e.Payload[3]) + Convert.ToInt64(e.Payload[5]);
                    Add(_current, 0, promoted, count: 0);
                    break;
                case AllocationTick:
                    string type = e.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
                    long amount = Convert.ToInt64(e.Payload[e.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? a : 0]);
                    _allocatedByType[type] = _allocatedByType.GetValueOrDefault(type) + amount;
                    break;
                case SuspendBegin:
                    _suspendedAt = e.TimeStamp;
                    break;
                case RestartEnd when _suspendedAt != default:
                    Add(_current, (e.TimeStamp - _suspendedAt).TotalMilliseconds, 0, count: 0);
                    _suspendedAt = default;
                    break;
            }
        }
    }

    private void Add(string kind, double pauseMs, long promoted, int count)
    {
        _byKind.TryGetValue(kind, out var v);
        _byKind[kind] = (v.Count + count, v.PauseMs + pauseMs, v.Promoted + promoted);
    }
}
