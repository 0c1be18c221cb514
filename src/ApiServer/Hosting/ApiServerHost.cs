using KvCluster.ApiServer.Http;
using KvCluster.ApiServer.Registry;
using KvCluster.ApiServer.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace KvCluster.ApiServer.Hosting;

/// <summary>
/// Starts the apiserver: opens the store (embedded, or etcd with --etcd-servers), fills the watch
/// caches, serves HTTPS (or HTTP) with Kestrel, and writes admin.kubeconfig once it is ready.
/// </summary>
public static class ApiServerHost
{
    public static async Task<int> RunAsync(ApiServerOptions options, CancellationToken ct = default)
    {
        Directory.CreateDirectory(options.DataDir);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ");
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // The CA and the kubelet client certificate exist with --plain-http too: kubelets authenticate the apiserver by that certificate.
        var certs = Certificates.LoadOrCreate(options.EffectiveCertDir);
        using var kubelet = new Kubelet.KubeletClient(certs.KubeletClient);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = null;
            k.Listen(System.Net.IPAddress.Parse(options.BindAddress), options.SecurePort, l =>
            {
                l.Protocols = HttpProtocols.Http1AndHttp2;
                if (!options.PlainHttp)
                {
                    l.UseHttps(certs.Serving);
                }
            });
        });

        await using var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("apiserver");
        var storeName = options.EtcdServers.Count > 0 ? "etcd " + string.Join(",", options.EtcdServers) : "embedded " + Path.Combine(options.DataDir, "kv");
        Console.Error.WriteLine($"[1/3] opening the store ({storeName})");
        await using IObjectStore store = options.EtcdServers.Count > 0 ? new EtcdStore(options.EtcdServers) : EmbeddedStore.Open(Path.Combine(options.DataDir, "kv"), app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("kv"));
        var services = new ServiceAllocator(store, options.ServiceClusterIpRange, options.ServiceNodePortRange.First, options.ServiceNodePortRange.Last);
        await using var registry = new ApiRegistry(store, BuiltinKinds.Rows, TimeProvider.System, log, options.WatchCacheSize, services);
        Console.Error.WriteLine($"[2/3] filling the watch caches of {registry.Kinds.Count} kinds");
        var ready = false;
        var token = Kubeconfig.AdminToken(options.DataDir);
        var router = new ApiRouter(registry, token, () => ready, TimeProvider.System, log, kubelet);
        app.UseWebSockets();
        app.Run(router.HandleAsync);
        await registry.StartAsync(options.SecurePort, ct);
        await app.StartAsync(ct);
        var scheme = options.PlainHttp ? "http" : "https";
        var host = options.BindAddress is "0.0.0.0" or "::" ? "127.0.0.1" : options.BindAddress;
        var url = $"{scheme}://{(host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host)}:{options.SecurePort}";
        // With --plain-http the CA is still written: a node agent finds in it the CA its kubelet trusts.
        Kubeconfig.Write(options.KubeconfigPath, url, token, certs.CaPem);
        ready = true;
        Console.Error.WriteLine($"[3/3] serving on {url}; kubectl --kubeconfig {Path.GetFullPath(options.KubeconfigPath)} get ns");
        ApiServerLog.Ready(log, url, Path.GetFullPath(options.KubeconfigPath), storeName);
        using var bookmarks = new PeriodicTimer(options.BookmarkInterval);
        var lifetime = app.Lifetime.ApplicationStopping;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct, lifetime);
        try
        {
            while (await bookmarks.WaitForNextTickAsync(stop.Token))
            {
                registry.SendBookmarks();
            }
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }

        await app.StopAsync(CancellationToken.None);
        return 0;
    }
}
