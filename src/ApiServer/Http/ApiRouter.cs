using System.Diagnostics;
using System.Text.Json;
using KvCluster.ApiServer.Registry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// The apiserver's HTTP surface: authentication, then health, version, metrics, discovery, OpenAPI
/// and resources. Every failure is a Status body; an unexpected one is a 500 Status and a log line,
/// never a dropped connection.
/// </summary>
internal sealed class ApiRouter
{
    private static readonly Counter Requests = Metrics.CreateCounter("apiserver_request_total", "Requests by verb, resource and HTTP code.", "verb", "resource", "code");
    private static readonly Histogram Latency = Metrics.CreateHistogram("apiserver_request_duration_seconds", "Request latency by verb and resource (watches and CONNECT streams excluded).",
        new HistogramConfiguration { LabelNames = ["verb", "resource"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 14) });

    private readonly ApiRegistry _registry;
    private readonly ResourceHandler _resources;
    private readonly Discovery _discovery;
    private readonly OpenApi _openApi;
    private readonly string? _token;
    private readonly Func<bool> _ready;
    private readonly ILogger _log;

    public ApiRouter(ApiRegistry registry, string? token, Func<bool> ready, TimeProvider time, ILogger log, Kubelet.KubeletClient kubelet)
    {
        _registry = registry;
        _resources = new ResourceHandler(registry, new Tables(time), new PodSubresources(registry, kubelet));
        _discovery = new Discovery(() => registry.Kinds);
        _openApi = new OpenApi(() => registry.Kinds);
        _token = token;
        _ready = ready;
        _log = log;
    }

    public async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        var info = RequestInfo.Parse(path);
        var verb = Verb(ctx, info);
        var started = Stopwatch.GetTimestamp();
        try
        {
            if (!IsPublic(path) && !Authenticated(ctx))
            {
                throw ApiException.Unauthorized();
            }

            if (info is not null)
            {
                await _resources.HandleAsync(ctx, info);
            }
            else
            {
                await HandleNonResourceAsync(ctx, path);
            }
        }
        catch (ApiException e)
        {
            await WriteFailureAsync(ctx, e);
        }
        catch (JsonException e)
        {
            await WriteFailureAsync(ctx, ApiException.BadRequest(e.Message));
        }
        catch (InvalidOperationException e) when (e.Message.Contains("JSON", StringComparison.OrdinalIgnoreCase) || e.Message.Contains("JsonValue", StringComparison.Ordinal))
        {
            // A field of the wrong JSON type (a number where a string belongs, …).
            await WriteFailureAsync(ctx, ApiException.BadRequest("the object provided is unrecognized: " + e.Message));
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client went away.
        }
        catch (Exception e)
        {
            ApiServerLog.RequestFailed(_log, e, ctx.Request.Method, path);
            await WriteFailureAsync(ctx, new ApiException(500, "InternalError", "Internal error occurred: " + e.Message));
        }
        finally
        {
            var resource = info?.Resource ?? "";
            Requests.WithLabels(verb, resource, ctx.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            if (verb is not ("WATCH" or "CONNECT"))
            {
                Latency.WithLabels(verb, resource).Observe(Stopwatch.GetElapsedTime(started).TotalSeconds);
            }
        }
    }

    private static async Task WriteFailureAsync(HttpContext ctx, ApiException e)
    {
        if (!ctx.Response.HasStarted)
        {
            await Json.WriteErrorAsync(ctx, e);
        }
    }

    private static bool IsPublic(string path) =>
        path is "/healthz" or "/livez" or "/readyz" or "/version" or "/metrics";

    private bool Authenticated(HttpContext ctx)
    {
        if (_token is null)
        {
            return true;
        }

        var header = ctx.Request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal)
            && System.Security.Cryptography.CryptographicOperations.FixedTimeEquals(
                System.Text.Encoding.UTF8.GetBytes(header[7..].Trim()), System.Text.Encoding.UTF8.GetBytes(_token));
    }

    private async Task HandleNonResourceAsync(HttpContext ctx, string path)
    {
        if (ctx.Request.Method is not ("GET" or "HEAD"))
        {
            throw ApiException.MethodNotAllowed("the server does not allow this method on the requested resource");
        }

        var accept = ctx.Request.Headers.Accept.ToString();
        switch (path.TrimEnd('/'))
        {
            case "/healthz" or "/livez" or "/readyz":
                ctx.Response.StatusCode = path == "/readyz" && !_ready() ? 503 : 200;
                ctx.Response.ContentType = "text/plain; charset=utf-8";
                await ctx.Response.WriteAsync(ctx.Response.StatusCode == 200 ? "ok" : "[-]informer-sync failed: reason withheld\nreadyz check failed");
                return;
            case "/version":
                await Json.WriteAsync(ctx, 200, Version.Document());
                return;
            case "/metrics":
                ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await Metrics.DefaultRegistry.CollectAndExportAsTextAsync(ctx.Response.Body, ctx.RequestAborted);
                return;
            case "/api" or "/apis" when Discovery.WantsAggregated(accept):
                ctx.Response.Headers.Vary = "Accept";
                await Json.WriteAsync(ctx, 200, _discovery.Aggregated(path.TrimEnd('/') == "/api"), Discovery.AggregatedContentType);
                return;
            case "/api":
                await Json.WriteAsync(ctx, 200, Discovery.ApiVersions($"{ctx.Request.Host}"));
                return;
            case "/apis":
                await Json.WriteAsync(ctx, 200, _discovery.GroupList());
                return;
            case "/openapi/v3":
                await Json.WriteAsync(ctx, 200, _openApi.Root());
                return;
        }

        var trimmed = path.Trim('/');
        var parts = trimmed.Split('/');
        var doc = parts switch
        {
            ["api", var v] => _discovery.ResourceList("", v),
            ["apis", var g] => _discovery.GroupDocument(g),
            ["apis", var g, var v] => _discovery.ResourceList(g, v),
            ["openapi", "v3", ..] => _openApi.Document(string.Join('/', parts[2..])),
            _ => null,
        };
        if (doc is null)
        {
            throw new ApiException(404, "NotFound", "the server could not find the requested resource");
        }

        await Json.WriteAsync(ctx, 200, doc);
    }

    /// <summary>The verb as kube-apiserver's metrics name it: exec, attach and log streams are CONNECT (and, like watches, last as long as the client wants).</summary>
    private static string Verb(HttpContext ctx, RequestInfo? info) => ctx.Request.Method switch
    {
        _ when PodSubresources.Serves(info?.Subresource) => "CONNECT",
        "GET" when ctx.Request.Query["watch"].ToString() is "true" or "1" => "WATCH",
        "GET" when info is { Name: null } => "LIST",
        var m => m,
    };
}
