using System.Globalization;
using KvCluster.NodeAgent.Logs;
using Microsoft.AspNetCore.Http;

namespace KvCluster.NodeAgent.Server;

/// <summary>GET /containerLogs/{namespace}/{pod}/{container}: the kubelet's log endpoint (kubectl logs, through the apiserver).</summary>
internal static class ContainerLogsHandler
{
    public static async Task HandleAsync(HttpContext ctx, IContainerStreams streams, string ns, string pod, string container)
    {
        var q = ctx.Request.Query;
        if (!TryParse(q, out var options, out bool previous, out var problem))
        {
            await KubeletStatus.WriteTextAsync(ctx, problem!.Value.Code, problem.Value.Message);
            return;
        }

        ContainerLog log;
        try
        {
            log = streams.FindLog(ns, pod, container, previous);
        }
        catch (ContainerLookupException e)
        {
            await KubeletStatus.WriteTextAsync(ctx, e.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status400BadRequest, e.Message);
            return;
        }

        ctx.Response.ContentType = "text/plain";
        try
        {
            await CriLogReader.CopyToAsync(log.Path, log.Running, options, ctx.Response.Body, ctx.RequestAborted);
        }
        catch (OperationCanceledException) when (ctx.RequestAborted.IsCancellationRequested)
        {
            // The client stopped following.
        }
    }

    // The PodLogOptions query parameters and the kubelet's validation of them (ValidatePodLogOptions).
    internal static bool TryParse(IQueryCollection q, out LogReadOptions options, out bool previous, out (int Code, string Message)? problem)
    {
        options = new LogReadOptions();
        previous = false;
        problem = null;
        if (!Bool(q, "follow", out bool follow) || !Bool(q, "previous", out previous) || !Bool(q, "timestamps", out bool timestamps) ||
            !Long(q, "tailLines", out var tail) || !Long(q, "sinceSeconds", out var sinceSeconds) || !Long(q, "limitBytes", out var limit) ||
            !Time(q, "sinceTime", out var sinceTime))
        {
            problem = (StatusCodes.Status400BadRequest, "Unable to decode query.");
            return false;
        }

        string? invalid =
            tail < 0 ? $"tailLines: Invalid value: {tail}: must be greater than or equal to 0" :
            limit < 1 ? $"limitBytes: Invalid value: {limit}: must be greater than 0" :
            sinceSeconds < 1 ? $"sinceSeconds: Invalid value: {sinceSeconds}: must be greater than 0" :
            sinceSeconds is not null && sinceTime is not null ? "at most one of `sinceTime` or `sinceSeconds` may be specified" :
            null;
        if (invalid is not null)
        {
            problem = (StatusCodes.Status422UnprocessableEntity, $"invalid request: {invalid}");
            return false;
        }

        options = new LogReadOptions
        {
            Follow = follow,
            Timestamps = timestamps,
            TailLines = tail,
            LimitBytes = limit,
            Since = sinceSeconds is { } s ? DateTimeOffset.UtcNow.AddSeconds(-s) : sinceTime,
        };
        return true;
    }

    // Go's strconv.ParseBool, less its one-letter forms.
    private static bool Bool(IQueryCollection q, string name, out bool value)
    {
        var s = q[name].ToString();
        value = s == "1";
        return s is "" or "0" or "1" || bool.TryParse(s, out value);
    }

    private static bool Long(IQueryCollection q, string name, out long? value)
    {
        value = null;
        var s = q[name].ToString();
        if (s.Length == 0)
        {
            return true;
        }

        bool ok = long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v);
        value = v;
        return ok;
    }

    private static bool Time(IQueryCollection q, string name, out DateTimeOffset? value)
    {
        value = null;
        var s = q[name].ToString();
        if (s.Length == 0)
        {
            return true;
        }

        bool ok = DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out var t);
        value = t;
        return ok;
    }
}
