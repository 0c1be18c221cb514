using System.Net;

using KvCluster.Bench;

namespace KvCluster.ApiBench;

internal interface IWorkload
{
    Task<Report> RunAsync();
}

/// <summary>create: POSTs of new pods (unique names, about --body-bytes each) by --clients closed-loop clients.</summary>
internal sealed class CreateBench(Api api, Options opts) : IWorkload
{
    private readonly int _total = opts.Int("total", 10_000);
    private readonly int _clients = opts.Int("clients", 64);
    private readonly int _conns = opts.Int("conns", opts.Int("clients", 64));
    private readonly int _bodyBytes = opts.Int("body-bytes", 3072);

    public async Task<Report> RunAsync()
    {
        using var http = api.Client(_conns);
        await api.EnsureNamespaceAsync(http);
        await Api.WarmUpAsync(http, _conns);
        var template = new PodTemplate(api.Namespace, api.Run, _bodyBytes);
        var result = await CreatePodsAsync(api, http, template, _total, _clients, "create");
        var report = new Report();
        report.Json["workload"] = "create";
        api.Describe(report);
        report.Json["clients"] = _clients;
        report.Json["conns"] = _conns;
        report.Json["body_bytes"] = template.Build(0).Length;
        report.AddClosedLoop("create", result);
        report.Lines.Insert(1, $"  pods of {report.Json["body_bytes"]} bytes into namespace {api.Namespace}, {_clients} clients over {_conns} connections");
        return report;
    }

    /// <summary>POSTs <paramref name="count"/> pods named by <paramref name="template"/> (201 expected).</summary>
    public static Task<ClosedLoop.Result> CreatePodsAsync(Api api, HttpClient http, PodTemplate template, int count, int clients, string label) =>
        ClosedLoop.RunAsync(label, http, count, clients,
            n => new HttpRequestMessage(HttpMethod.Post, api.Pods) { Content = Api.JsonBody(template.Build(n)) }, HttpStatusCode.Created);
}

/// <summary>get: GETs of existing pods by name (the namespace's pods, listed first; --pods are created when it has none).</summary>
internal sealed class GetBench(Api api, Options opts) : IWorkload
{
    private readonly int _total = opts.Int("total", 10_000);
    private readonly int _clients = opts.Int("clients", 64);
    private readonly int _conns = opts.Int("conns", opts.Int("clients", 64));
    private readonly int _pods = opts.Int("pods", 1000);
    private readonly int _bodyBytes = opts.Int("body-bytes", 3072);

    public async Task<Report> RunAsync()
    {
        using var http = api.Client(_conns);
        await api.EnsureNamespaceAsync(http);
        var names = await Api.NamesAsync(http, api.Pods);
        var report = new Report();
        if (names.Count == 0)
        {
            var created = await CreateBench.CreatePodsAsync(api, http, new PodTemplate(api.Namespace, api.Run, _bodyBytes), _pods, _clients, "get: creating pods");
            report.Errors += created.Errors.Total;
            names = await Api.NamesAsync(http, api.Pods);
        }

        if (names.Count == 0)
        {
            throw new InvalidOperationException($"no pods in namespace {api.Namespace} to get");
        }

        await Api.WarmUpAsync(http, _conns);
        var result = await ClosedLoop.RunAsync("get", http, _total, _clients,
            n => new HttpRequestMessage(HttpMethod.Get, $"{api.Pods}/{names[n % names.Count]}"), HttpStatusCode.OK);
        report.Json["workload"] = "get";
        api.Describe(report);
        report.Json["clients"] = _clients;
        report.Json["conns"] = _conns;
        report.Json["pods"] = names.Count;
        report.AddClosedLoop("get", result);
        report.Lines.Insert(1, $"  GETs by name over {names.Count} pods of namespace {api.Namespace}, {_clients} clients over {_conns} connections");
        return report;
    }
}
