using System.Net;
using KvCluster.NodeAgent.Server.RemoteCommand;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Prometheus;

namespace KvCluster.NodeAgent.Server;

/// <summary>
/// The node agent's HTTPS API, the kubelet's :10250: /healthz, /metrics, /containerLogs, /exec, /attach and /portForward,
/// for clients with a certificate from the cluster CA (the apiserver proxying kubectl).
/// </summary>
public sealed class KubeletServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private KubeletServer(WebApplication app, int port)
    {
        _app = app;
        Port = port;
    }

    /// <summary>The port it listens on (the chosen one when the options asked for 0).</summary>
    public int Port { get; }

    public static async Task<KubeletServer> StartAsync(KubeletServerOptions options, IContainerStreams streams, ILoggerFactory log, CancellationToken ct)
    {
        var cert = ServingCertificate.LoadOrCreate(options.CertDir, options.NodeName, [options.BindAddress]);
        var auth = new ClientCertificateAuth(options.ClientCa);
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(log);
        builder.WebHost.ConfigureKestrel(k => k.Listen(options.BindAddress, options.Port, listen => listen.UseHttps(https =>
        {
            https.ServerCertificate = cert;

            // Asked for in the handshake, judged per request (401, not a failed handshake).
            https.ClientCertificateMode = ClientCertificateMode.AllowCertificate;
            https.AllowAnyClientCertificate();
        })));

        var app = builder.Build();
        app.Use(auth.InvokeAsync);
        app.UseWebSockets();
        Map(app, streams);
        await app.StartAsync(ct);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new KubeletServer(app, new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal)).Port);
    }

    public async ValueTask DisposeAsync()
    {
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await _app.StopAsync(stop.Token);
        await _app.DisposeAsync();
    }

    private static void Map(WebApplication app, IContainerStreams streams)
    {
        app.MapGet("/healthz", () => Results.Text("ok"));
        app.MapMetrics("/metrics");
        app.MapGet("/containerLogs/{ns}/{pod}/{container}", (HttpContext ctx, string ns, string pod, string container) =>
            ContainerLogsHandler.HandleAsync(ctx, streams, ns, pod, container));
        app.MapGet("/exec/{ns}/{pod}/{container}", (HttpContext ctx, string ns, string pod, string container) =>
            ExecHandler.ExecAsync(ctx, streams, ns, pod, container));
        app.MapGet("/attach/{ns}/{pod}/{container}", (HttpContext ctx, string ns, string pod, string container) =>
            ExecHandler.AttachAsync(ctx, streams, ns, pod, container));
        app.MapMethods("/portForward/{ns}/{pod}", ["GET", "POST"], (HttpContext ctx, string ns, string pod) =>
            PortForward.PortForwardHandler.HandleAsync(ctx, streams, ns, pod));
    }
}
