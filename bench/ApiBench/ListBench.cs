using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

using KvCluster.Bench;

namespace KvCluster.ApiBench;

/// <summary>
/// list: makes sure the namespace holds --pods pods (creating the missing ones), then times --rounds
/// rounds of three lists of the namespace's pods, one after the other:
/// consistent (no resourceVersion: read from the store at its current revision),
/// cached (resourceVersion=0: any state, from the watch cache) and
/// paged (limit=--page-size, following continue tokens; the sum of the pages).
/// A list's time runs from the send until its whole body has been received; parsing it (to count
/// the items and find the continue token) is not timed.
/// </summary>
internal sealed class ListBench(Api api, Options opts) : IWorkload
{
    private readonly int _pods = opts.Int("pods", 10_000);
    private readonly int _rounds = opts.Int("rounds", 5);
    private readonly int _pageSize = opts.Int("page-size", 500);
    private readonly int _clients = opts.Int("clients", 32);
    private readonly int _bodyBytes = opts.Int("body-bytes", 3072);
    private byte[] _buffer = new byte[1 << 20];

    private sealed class Mode(string name, string query, bool paged, int rounds)
    {
        public string Name { get; } = name;

        public string Query { get; } = query;

        public bool Paged { get; } = paged;

        public Samples Times { get; } = new(rounds);

        public long Items { get; set; }

        public long Bytes { get; set; }

        public int Pages { get; set; }
    }

    public async Task<Report> RunAsync()
    {
        using var http = api.Client(_clients);
        await api.EnsureNamespaceAsync(http);
        var report = new Report();
        var (count, _) = await Api.CountAsync(http, api.Pods);
        var created = 0;
        if (count < _pods)
        {
            await Api.WarmUpAsync(http, _clients);
            var result = await CreateBench.CreatePodsAsync(api, http, new PodTemplate(api.Namespace, api.Run, _bodyBytes), (int)(_pods - count), _clients, $"list: creating {_pods - count} pods");
            created = result.Sorted.Length;
            report.Errors += result.Errors.Total;
            report.AddErrors(result.Errors);
            (count, _) = await Api.CountAsync(http, api.Pods);
        }

        Mode[] modes =
        [
            new("consistent", "", false, _rounds),
            new("cached", "?resourceVersion=0", false, _rounds),
            new("paged", $"?limit={_pageSize}", true, _rounds),
        ];
        var errors = new ErrorCounter();
        var state = "";
        using (new Progress(() => Volatile.Read(ref state)))
        {
            for (var round = 1; round <= _rounds; round++)
            {
                foreach (var mode in modes)
                {
                    Volatile.Write(ref state, $"list round {round}/{_rounds}: {mode.Name}, {errors.Total} errors");
                    await ListAsync(http, mode, errors);
                }
            }

            Volatile.Write(ref state, $"list: {_rounds} rounds done, {errors.Total} errors");
        }

        report.Json["workload"] = "list";
        api.Describe(report);
        report.Json["pods"] = count;
        report.Json["created"] = created;
        report.Json["rounds"] = _rounds;
        report.Json["page_size"] = _pageSize;
        report.Json["errors"] = errors.Total + report.Errors;
        report.Json["errors_by_code"] = errors.ToJson();
        report.Errors += errors.Total;
        report.Lines.Add($"Summary: {_rounds} rounds of lists of the {count} pods of namespace {api.Namespace} ({created} created first), {errors.Total} errors");
        foreach (var mode in modes)
        {
            var sorted = mode.Times.Sorted();
            var figures = new Dictionary<string, object>
            {
                ["query"] = mode.Query,
                ["p50_ms"] = Samples.Quantile(sorted, 0.5),
                ["max_ms"] = sorted.Length == 0 ? 0 : Samples.Ms(sorted[^1]),
                ["items"] = mode.Items,
                ["bytes"] = mode.Bytes,
            };
            if (mode.Paged)
            {
                figures["pages"] = mode.Pages;
            }

            report.Json[mode.Name] = figures;
            report.Lines.Add(string.Create(CultureInfo.InvariantCulture,
                $"  {mode.Name,-10} {(mode.Query.Length == 0 ? "(no resourceVersion)" : mode.Query),-22} p50 {figures["p50_ms"],9} ms  max {figures["max_ms"],9} ms  {mode.Items} items, {mode.Bytes / 1048576.0:F1} MiB{(mode.Paged ? $" in {mode.Pages} pages" : "")}"));
        }

        report.AddErrors(errors);
        return report;
    }

    /// <summary>One list (all pages of a paged one); its time is added to the mode's samples when every request succeeded.</summary>
    private async Task ListAsync(HttpClient http, Mode mode, ErrorCounter errors)
    {
        long ticks = 0, items = 0, bytes = 0;
        var pages = 0;
        string? next = null;
        do
        {
            var url = api.Pods + mode.Query + (next is null ? "" : "&continue=" + Uri.EscapeDataString(next));
            if (await TimedGetAsync(http, url, errors) is not { } got)
            {
                return;
            }

            ticks += got.Ticks;
            bytes += got.Length;
            pages++;
            using var doc = JsonDocument.Parse(_buffer.AsMemory(0, got.Length));
            items += doc.RootElement.GetProperty("items").GetArrayLength();
            next = mode.Paged && doc.RootElement.GetProperty("metadata").TryGetProperty("continue", out var c) ? c.GetString() : null;
        }
        while (!string.IsNullOrEmpty(next));

        mode.Times.Add(ticks);
        mode.Items = items;
        mode.Bytes = bytes;
        mode.Pages = pages;
    }

    /// <summary>A GET whose whole body is read into <see cref="_buffer"/>; null (and the failure counted) unless it answered 200.</summary>
    private async Task<(long Ticks, int Length)?> TimedGetAsync(HttpClient http, string url, ErrorCounter errors)
    {
        var start = Stopwatch.GetTimestamp();
        try
        {
            using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead);
            await using var stream = await response.Content.ReadAsStreamAsync();
            var length = 0;
            while (true)
            {
                if (length == _buffer.Length)
                {
                    Array.Resize(ref _buffer, _buffer.Length * 2);
                }

                var n = await stream.ReadAsync(_buffer.AsMemory(length));
                if (n == 0)
                {
                    break;
                }

                length += n;
            }

            var ticks = Stopwatch.GetTimestamp() - start;
            if (!response.IsSuccessStatusCode)
            {
                errors.Add(((int)response.StatusCode).ToString(CultureInfo.InvariantCulture), Encoding.UTF8.GetString(_buffer, 0, Math.Min(length, 300)));
                return null;
            }

            return (ticks, length);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or IOException)
        {
            errors.Add("exception:" + e.GetType().Name, e.Message);
            return null;
        }
    }
}
