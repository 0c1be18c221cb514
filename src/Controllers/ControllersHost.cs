using k8s;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace KvCluster.Controllers;

/// <summary>Wires the controllers together: the apiserver client, the scheduler, the node lifecycle controller, and the health and metrics endpoints.</summary>
public static class ControllersHost
{
    public static async Task<int> RunAsync(ControllersOptions options, CancellationToken ct)
    {
        // Structured lines (one JSON object each), as the apiserver, kvserver and node agent log.
        using var loggers = LoggerFactory.Create(b => b.AddJsonConsole(o =>
        {
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        }).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft.AspNetCore", LogLevel.Warning));
        var log = loggers.CreateLogger("controllers");
        var config = Shared.Kubeconfig.Load(options.Kubeconfig);
        using var client = new Kubernetes(config);
        var scheduler = new Scheduler.Scheduler(client, options.SchedulerName, loggers.CreateLogger("scheduler"), TimeProvider.System);
        await using var web = await StartEndpointsAsync(options, () => scheduler.Ready, ct);
        log.LogInformation("controllers: scheduler {Name}, node lifecycle (grace {Grace}); health and metrics on {Address}", options.SchedulerName, options.NodeMonitorGracePeriod, web.Urls.FirstOrDefault());
        var lifecycle = new NodeLifecycle.NodeLifecycleController(client, scheduler.Nodes, options.NodeMonitorGracePeriod, options.NodeMonitorPeriod,
            loggers.CreateLogger("nodelifecycle"), TimeProvider.System);
        await Task.WhenAll(scheduler.RunAsync(ct), lifecycle.RunAsync(ct));
        log.LogInformation("controllers stopped");
        return 0;
    }

    /// <summary>/healthz and /livez (the process serves), /readyz (the caches are listed), /metrics (Prometheus text).</summary>
    private static async Task<WebApplication> StartEndpointsAsync(ControllersOptions options, Func<bool> ready, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.BindAddress, options.Port));
        var app = builder.Build();
        app.MapGet("/healthz", () => "ok");
        app.MapGet("/livez", () => "ok");
        app.MapGet("/readyz", () => ready() ? Results.Text("ok") : Results.Text("caches not synced", statusCode: 503));
        app.MapMetrics("/metrics");
        await app.StartAsync(ct);
        return app;
    }
}
