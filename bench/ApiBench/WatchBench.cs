using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;

using KvCluster.Bench;

namespace KvCluster.ApiBench;

/// <summary>
/// watch: --watchers watches of one namespace's configmaps, all from the resourceVersion of one list
/// (GET …/configmaps?watch=1&amp;resourceVersion=RV; RV from a list at resourceVersion=0, as client-go's
/// reflector does, or with --from consistent from a list without one), opened --open-concurrency at a time.
/// A watch counts as established once it has received a sentinel (a configmap created once a second
/// until every watch has one, or --open-seconds have passed): a server may send a watch's response
/// headers only with its first event. Then --events writes at --rate per second: configmap
/// creates (--op create) or merge patches of --objects configmaps (--op patch). Each write carries
/// its sequence number and its send time (this process's Stopwatch ticks, read just before the
/// request goes out) in annotations; every watcher notes, per event, the time from that send to
/// reading the event's line. After the last write answered, watchers get --drain-seconds to
/// receive what is missing. A (watcher, event) pair never received is a missed event: an error.
/// The configmaps of the run are deleted afterwards (deletecollection by label) unless --keep.
/// </summary>
internal sealed class WatchBench(Api api, Options opts) : IWorkload
{
    internal const string SeqAnnotation = "apibench/seq";
    internal const string SentAnnotation = "apibench/sent";
    internal const string SentinelAnnotation = "apibench/sentinel";

    private readonly int _watchers = opts.Int("watchers", 100);
    private readonly int _events = opts.Int("events", 100);
    private readonly double _rate = opts.Double("rate", 100);
    private readonly string _op = opts.Get("op", "create") is ("create" or "patch") and var op ? op : throw new ArgumentException("--op: create or patch");
    private readonly int _objects = Math.Max(1, opts.Int("objects", 10));
    private readonly int _valueBytes = opts.Int("value-bytes", 256);
    private readonly int _writeConns = opts.Int("conns", 16);
    private readonly int _openConcurrency = Math.Max(1, opts.Int("open-concurrency", 64));
    private readonly int _drainSeconds = opts.Int("drain-seconds", 10);
    private readonly bool _keep = opts.Flag("keep");
    private readonly int _openSeconds = Math.Max(1, opts.Int("open-seconds", 120));
    private readonly string _from = opts.Get("from", "cached") is ("cached" or "consistent") and var from ? from : throw new ArgumentException("--from: cached or consistent");

    public async Task<Report> RunAsync()
    {
        using var http = api.Client(_writeConns);
        await api.EnsureNamespaceAsync(http);
        var writeErrors = new ErrorCounter();
        if (_op == "patch")
        {
            for (var k = 0; k < _objects; k++)
            {
                using var create = new HttpRequestMessage(HttpMethod.Post, api.ConfigMaps) { Content = Api.JsonBody(ConfigMap(ObjectName(k), null, 0)) };
                if (!await Api.SendAsync(http, create, HttpStatusCode.Created, writeErrors))
                {
                    throw new InvalidOperationException("creating the configmaps to patch failed: " + string.Join("; ", writeErrors.Describe()));
                }
            }
        }

        await Api.WarmUpAsync(http, _writeConns);
        // The resourceVersion to watch from: of a list at resourceVersion=0 (the watch cache), as client-go's
        // reflector lists before it watches; --from consistent: of a list from the store, as kubectl get -w.
        var (_, rv) = _from == "cached" ? await Api.CachedListVersionAsync(http, api.ConfigMaps) : await Api.CountAsync(http, api.ConfigMaps);

        // Watches: one connection each over HTTP/1.1 (as many separate clients); with --http2, 100 streams per connection.
        using var watchHttp = api.Target.CreateClient(_watchers + 1, api.Http2, Timeout.InfiniteTimeSpan);
        using var stop = new CancellationTokenSource();
        var watchers = Enumerable.Range(0, _watchers).Select(_ => new Watcher(_events, api.Run)).ToArray();
        var openErrors = new ErrorCounter();
        var established = 0;
        var url = $"{api.ConfigMaps}?watch=1&resourceVersion={rv}&allowWatchBookmarks=true";
        var opening = Stopwatch.StartNew();
        using var gate = new SemaphoreSlim(_openConcurrency);

        // One task per watch: open (at most --open-concurrency handshakes in flight), then read until stopped.
        async Task WatchAsync(Watcher w)
        {
            await gate.WaitAsync();
            var open = w.OpenAsync(watchHttp, url, openErrors, stop.Token);

            // A server may hold the response headers back until the first event: then the next one may start after a while.
            await Task.WhenAny(open, Task.Delay(250));
            gate.Release();
            if (await open)
            {
                Interlocked.Increment(ref established);
                await w.ReadAsync(stop.Token);
            }
        }

        var readers = watchers.Select(w => Task.Run(() => WatchAsync(w))).ToArray();

        // Established = the watch has received a sentinel: a configmap created (once a second) after its request went out.
        // That holds whether or not the server sends the response headers before the first event.
        var sentinels = 0;
        using (new Progress(() => $"watch: {watchers.Count(w => w.Ready)}/{_watchers} watches established ({Volatile.Read(ref established)} answered), {openErrors.Total} failed, {Volatile.Read(ref sentinels)} sentinel writes"))
        {
            var deadline = Stopwatch.GetTimestamp() + (_openSeconds * Stopwatch.Frequency);
            var nextSentinel = Stopwatch.GetTimestamp();
            while (watchers.Any(w => !w.Ready && !w.Failed && !w.Ended))
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    var notReady = watchers.Count(w => !w.Ready && !w.Failed && !w.Ended);
                    openErrors.Add("not established", $"no event {_openSeconds} s after the watch was opened", notReady);
                    break;
                }

                if (Stopwatch.GetTimestamp() >= nextSentinel)
                {
                    using var sentinel = new HttpRequestMessage(HttpMethod.Post, api.ConfigMaps) { Content = Api.JsonBody(ConfigMap($"bench-{api.Run}-ready-{sentinels:D3}", null, 0, sentinel: true)) };
                    await Api.SendAsync(http, sentinel, HttpStatusCode.Created, openErrors);
                    Interlocked.Increment(ref sentinels);
                    nextSentinel = Stopwatch.GetTimestamp() + Stopwatch.Frequency;
                }

                await Task.Delay(20);
            }
        }

        var openSeconds = opening.Elapsed.TotalSeconds;
        var live = watchers.Where(w => w.Ready).ToArray();

        // Writes at a fixed rate (open loop: a slow answer does not delay the next write).
        var writeTimes = new Samples(_events);
        var succeeded = new bool[_events];
        var writes = new Task[_events];
        var sent = 0;
        long Received() => live.Sum(w => (long)Volatile.Read(ref w.Count));
        var writing = Stopwatch.StartNew();
        var drainTimedOut = false;
        using (new Progress(() => $"watch: {Volatile.Read(ref sent)}/{_events} events sent, {Received()}/{(long)Volatile.Read(ref sent) * live.Length} deliveries, {writeErrors.Total} write errors"))
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < _events; i++)
            {
                var due = start + (long)(i * Stopwatch.Frequency / _rate);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.FromMilliseconds(1))
                {
                    await Task.Delay(wait);
                }

                writes[i] = WriteAsync(http, i, writeTimes, succeeded, writeErrors);
                Interlocked.Increment(ref sent);
            }

            await Task.WhenAll(writes);
            long expected = succeeded.Count(s => s) * (long)live.Length;
            var deadline = Stopwatch.GetTimestamp() + (_drainSeconds * Stopwatch.Frequency);
            while (Received() < expected && live.Any(w => !w.Ended))
            {
                if (Stopwatch.GetTimestamp() > deadline)
                {
                    drainTimedOut = true;
                    break;
                }

                await Task.Delay(20);
            }
        }

        var writeSeconds = writing.Elapsed.TotalSeconds;
        var closedEarly = live.Count(w => w.Ended);
        await stop.CancelAsync();
        await Task.WhenAll(readers);
        openErrors.Add("closed before established", null, watchers.Count(w => w.Ended && !w.Ready));
        foreach (var w in watchers)
        {
            w.Dispose();
        }

        if (!_keep)
        {
            await CleanUpAsync(http);
        }

        return Summarize(live, succeeded, writeTimes, writeErrors, openErrors, closedEarly, drainTimedOut, openSeconds, writeSeconds, rv);
    }

    private Report Summarize(Watcher[] live, bool[] succeeded, Samples writeTimes, ErrorCounter writeErrors, ErrorCounter openErrors,
        int closedEarly, bool drainTimedOut, double openSeconds, double writeSeconds, string rv)
    {
        var deliveries = new List<long>(live.Length * _events);
        var fanout = new List<long>(_events);
        long missed = 0;
        var watchersMissing = live.Count(w => Enumerable.Range(0, _events).Any(i => succeeded[i] && w.Delays[i] < 0));
        for (var i = 0; i < _events; i++)
        {
            if (!succeeded[i])
            {
                continue;
            }

            long slowest = 0;
            var all = true;
            foreach (var w in live)
            {
                var d = w.Delays[i];
                if (d < 0)
                {
                    missed++;
                    all = false;
                    continue;
                }

                deliveries.Add(d);
                slowest = Math.Max(slowest, d);
            }

            if (all && live.Length > 0)
            {
                fanout.Add(slowest);
            }
        }

        var sortedDeliveries = deliveries.ToArray();
        Array.Sort(sortedDeliveries);
        var sortedFanout = fanout.ToArray();
        Array.Sort(sortedFanout);
        var sortedWrites = writeTimes.Sorted();
        var ok = succeeded.Count(s => s);

        var report = new Report();
        report.Json["workload"] = "watch";
        api.Describe(report);
        report.Json["watchers"] = _watchers;
        report.Json["established"] = live.Length;
        report.Json["events"] = _events;
        report.Json["rate"] = _rate;
        report.Json["op"] = _op;
        report.Json["from"] = _from;
        report.Json["resource_version"] = rv;
        report.Json["open_seconds"] = Math.Round(openSeconds, 3);
        report.Json["write_seconds"] = Math.Round(writeSeconds, 3);
        report.Json["writes"] = Figures(sortedWrites, new Dictionary<string, object> { ["succeeded"] = ok, ["errors"] = writeErrors.Total, ["errors_by_code"] = writeErrors.ToJson() });
        report.Json["deliveries"] = Figures(sortedDeliveries, new Dictionary<string, object> { ["expected"] = (long)ok * live.Length, ["received"] = sortedDeliveries.Length, ["missed"] = missed });
        report.Json["fanout_complete"] = Figures(sortedFanout, new Dictionary<string, object> { ["events"] = sortedFanout.Length });
        report.Json["watch_open_errors"] = openErrors.Total;
        report.Json["watch_open_errors_by_code"] = openErrors.ToJson();
        report.Json["watchers_missing_events"] = watchersMissing;
        report.Json["watchers_closed_early"] = closedEarly;
        report.Json["duplicates"] = live.Sum(w => w.Duplicates);
        report.Json["drain_timed_out"] = drainTimedOut;
        report.Errors = writeErrors.Total + openErrors.Total + (int)Math.Min(missed, int.MaxValue) + closedEarly;
        report.Json["errors"] = report.Errors;

        report.Lines.Add($"Summary: {_events} configmap {(_op == "create" ? "creates" : "patches")} at {_rate}/s to {live.Length}/{_watchers} watchers of namespace {api.Namespace}'s configmaps " +
                         $"from resourceVersion {rv} ({_from} list; opened in {openSeconds:F2} s), {report.Errors} errors");
        report.Lines.Add($"  writes: {ok} ok in {writeSeconds:F2} s, latency ms: {Samples.Line(sortedWrites)}");
        report.Lines.Add($"  delivery (send → watcher read the event), {sortedDeliveries.Length} of {(long)ok * live.Length}, ms: {Samples.Line(sortedDeliveries)}");
        report.Lines.Add($"  fan-out complete (send → the last watcher has it), {sortedFanout.Length} events, ms: {Samples.Line(sortedFanout)}");
        report.Lines.Add($"  missed deliveries {missed} ({watchersMissing} watchers missing events), watches closed early {closedEarly}, watch open errors {openErrors.Total}, duplicates {report.Json["duplicates"]}{(drainTimedOut ? $", gave up waiting after {_drainSeconds} s" : "")}");
        report.AddErrors(writeErrors);
        report.AddErrors(openErrors);
        foreach (var reason in live.Where(w => w.Ended).Select(w => w.EndReason).Distinct().Take(5))
        {
            report.Lines.Add("  watch ended: " + reason);
        }

        return report;
    }

    private static Dictionary<string, object> Figures(long[] sorted, Dictionary<string, object> into)
    {
        Samples.Describe(sorted, into);
        return into;
    }

    private string ObjectName(int k) => $"bench-{api.Run}-obj-{k:D3}";

    private async Task WriteAsync(HttpClient http, int i, Samples times, bool[] succeeded, ErrorCounter errors)
    {
        // The stamp is read just before the request is built and sent: the delay includes the whole write.
        var stamp = Stopwatch.GetTimestamp();
        using var request = _op == "create"
            ? new HttpRequestMessage(HttpMethod.Post, api.ConfigMaps) { Content = Api.JsonBody(ConfigMap($"bench-{api.Run}-{i:D6}", i, stamp)) }
            : new HttpRequestMessage(HttpMethod.Patch, $"{api.ConfigMaps}/{ObjectName(i % _objects)}") { Content = Api.JsonBody(Annotations(i, stamp), "application/merge-patch+json") };
        if (await Api.SendAsync(http, request, _op == "create" ? HttpStatusCode.Created : HttpStatusCode.OK, errors))
        {
            times.Add(Stopwatch.GetTimestamp() - stamp);
            succeeded[i] = true;
        }
    }

    private byte[] ConfigMap(string name, int? seq, long stamp, bool sentinel = false)
    {
        var value = new string('v', _valueBytes);
        var annotations = sentinel ? $$$""","annotations":{"{{{SentinelAnnotation}}}":"true"}""" : seq is { } s ? $$$""","annotations":{"{{{SeqAnnotation}}}":"{{{s}}}","{{{SentAnnotation}}}":"{{{stamp}}}"}""" : "";
        return Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $$$"""{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"{{{name}}}","labels":{"{{{PodTemplate.RunLabel}}}":"{{{api.Run}}}"}{{{annotations}}}},"data":{"config.yaml":"{{{value}}}"}}"""));
    }

    private static byte[] Annotations(int seq, long stamp) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $$$"""{"metadata":{"annotations":{"{{{SeqAnnotation}}}":"{{{seq}}}","{{{SentAnnotation}}}":"{{{stamp}}}"}""") + "}}");

    private async Task CleanUpAsync(HttpClient http)
    {
        try
        {
            using var response = await http.DeleteAsync($"{api.ConfigMaps}?labelSelector={Uri.EscapeDataString(PodTemplate.RunLabel + "=" + api.Run)}");
            if (!response.IsSuccessStatusCode)
            {
                await Console.Error.WriteLineAsync($"watch: deleting this run's configmaps answered {(int)response.StatusCode}");
            }
        }
        catch (HttpRequestException e)
        {
            await Console.Error.WriteLineAsync("watch: deleting this run's configmaps failed: " + e.Message);
        }
    }

    /// <summary>One watch: its response stream, and per event the delay from send to receipt (-1: not received).</summary>
    private sealed class Watcher : IDisposable
    {
        private readonly string _run;
        private HttpResponseMessage? _response;
        private Stream? _stream;
        private bool _ready;

        public Watcher(int events, string run)
        {
            _run = run;
            Delays = new long[events];
            Array.Fill(Delays, -1L);
        }

        public long[] Delays { get; }

        /// <summary>Events of this run received (a field: read with Volatile by the progress line).</summary>
        public int Count;

        public int Duplicates { get; private set; }

        /// <summary>The watch failed to open (counted in the open errors).</summary>
        public bool Failed { get; private set; }

        /// <summary>A sentinel event arrived: the watch is established.</summary>
        public bool Ready => Volatile.Read(ref _ready);

        /// <summary>The stream ended, or an ERROR event came, before the benchmark stopped the watch.</summary>
        public bool Ended { get; private set; }

        public string EndReason { get; private set; } = "";

        public async Task<bool> OpenAsync(HttpClient http, string url, ErrorCounter errors, CancellationToken ct)
        {
            try
            {
                var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
                if (response.StatusCode != HttpStatusCode.OK)
                {
                    errors.Add(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), await response.Content.ReadAsStringAsync(ct));
                    response.Dispose();
                    Failed = true;
                    return false;
                }

                _response = response;
                _stream = await response.Content.ReadAsStreamAsync(ct);
                return true;
            }
            catch (Exception) when (ct.IsCancellationRequested)
            {
                return false;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
            {
                errors.Add("exception:" + e.GetType().Name, e.Message);
                Failed = true;
                return false;
            }
        }

        public async Task ReadAsync(CancellationToken ct)
        {
            using var reader = new StreamReader(_stream!, Encoding.UTF8, false, 16 * 1024, leaveOpen: true);
            while (true)
            {
                string? line;
                try
                {
                    line = await reader.ReadLineAsync(ct);
                }
                catch (Exception) when (ct.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception e) when (e is IOException or HttpRequestException)
                {
                    End("read failed: " + e.Message);
                    return;
                }

                var now = Stopwatch.GetTimestamp();
                if (line is null)
                {
                    End("the server ended the watch");
                    return;
                }

                try
                {
                    if (line.Length > 0)
                    {
                        Handle(line, now);
                    }
                }
                catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    End("unreadable event: " + e.Message);
                    return;
                }
            }
        }

        private void Handle(string line, long now)
        {
            using var doc = JsonDocument.Parse(line);
            var type = doc.RootElement.GetProperty("type").GetString();
            if (type == "BOOKMARK")
            {
                return;
            }

            var meta = doc.RootElement.GetProperty("object").GetProperty("metadata");
            if (type == "ERROR")
            {
                End("ERROR event: " + doc.RootElement.GetProperty("object").GetRawText());
                return;
            }

            if (!meta.TryGetProperty("labels", out var labels) || !labels.TryGetProperty(PodTemplate.RunLabel, out var run) || run.GetString() != _run
                || !meta.TryGetProperty("annotations", out var annotations) || type == "DELETED")
            {
                return;
            }

            if (annotations.TryGetProperty(SentinelAnnotation, out _))
            {
                Volatile.Write(ref _ready, true);
                return;
            }

            if (!annotations.TryGetProperty(SeqAnnotation, out var seqText) || !annotations.TryGetProperty(SentAnnotation, out var sentText))
            {
                return;
            }

            var seq = int.Parse(seqText.GetString()!, CultureInfo.InvariantCulture);
            var sent = long.Parse(sentText.GetString()!, CultureInfo.InvariantCulture);
            if (seq < 0 || seq >= Delays.Length)
            {
                return;
            }

            if (Delays[seq] >= 0)
            {
                Duplicates++;
                return;
            }

            Delays[seq] = now - sent;
            Interlocked.Increment(ref Count);
        }

        private void End(string reason)
        {
            EndReason = reason;
            Ended = true;
        }

        public void Dispose()
        {
            _stream?.Dispose();
            _response?.Dispose();
        }
    }
}
