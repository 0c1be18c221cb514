using System.Net;
using System.Security.Cryptography.X509Certificates;
using KvCluster.Kv;
using KvCluster.Kv.Mvcc;
using KvCluster.KvServer.Auth;
using KvCluster.KvServer.Config;
using KvCluster.KvServer.Consensus;
using KvCluster.KvServer.Maintenance;
using KvCluster.KvServer.Raft;
using KvCluster.KvServer.Rpc;
using Grpc.AspNetCore.Server.Model;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Prometheus;

namespace KvCluster.KvServer.Hosting;

/// <summary>
/// Builds a member: opens the store, wires the gRPC services, and serves etcd's HTTP endpoints
/// (/health, /version, /metrics) on the same client port, as etcd does.
/// </summary>
public static class ServerHost
{
    public static WebApplication Build(ServerConfig config)
    {
        var builder = WebApplication.CreateSlimBuilder();
        ConfigureLogging(builder.Logging, config.LogLevel);
        builder.WebHost.ConfigureKestrel(k => ConfigureKestrel(k, config));

        var time = TimeProvider.System;
        var loggerFactory = LoggerFactory.Create(b => ConfigureLogging(b, config.LogLevel));
        var slot = new EngineSlot(Path.Combine(config.DataDir, "member"), dir => new StoreOptions
        {
            DataDir = dir,
            MaxTxnOps = config.MaxTxnOps,
            Logger = loggerFactory.CreateLogger("KvCluster.Kv"),
            Time = time,
            // In a cluster only the Raft leader expires leases, by proposing their revocation.
            ExpireLeases = !config.Clustered,
            // In a cluster a write is durable once Raft has committed it (fsynced by a majority's logs),
            // before the engine applies it: as etcd's backend, the engine is not fsynced per write. Its
            // WAL is flushed before the Raft log may be dropped (KvStateMachine), and a restart replays
            // the log from that point.
            Sync = !config.Clustered,
            CheckpointAtOpen = true,
        });
        RaftNode? raft = null;
        var member = new LocalMember(config, () => raft?.Term ?? 1);
        IConsensus consensus;
        IMembership membership;
        if (config.Clustered)
        {
            raft = new RaftNode(config, member, slot, loggerFactory);
            var replicated = new RaftConsensus(raft, slot, member.Id);
            consensus = replicated;
            var raftMembers = new RaftMembership(raft, loggerFactory.CreateLogger<RaftMembership>());
            membership = raftMembers;
            builder.Services.AddSingleton(raft).AddSingleton(replicated).AddSingleton(raftMembers);
        }
        else
        {
            consensus = new StandaloneConsensus(slot.Current, member.Id);
            membership = new StandaloneMembership(member);
        }

        var auth = AuthStore.Open(Path.Combine(config.DataDir, "member"), time, TimeSpan.FromSeconds(config.AuthTokenTtl));
        var quota = new Quota(slot, config.EffectiveQuotaBytes, member.Id, loggerFactory.CreateLogger<Quota>());

        var s = builder.Services;
        s.AddSingleton(config).AddSingleton(member).AddSingleton(consensus).AddSingleton(membership).AddSingleton(auth).AddSingleton(quota).AddSingleton(new Limits(config.MaxRequestBytes));
        s.AddSingleton(slot).AddSingleton<IKv>(slot).AddSingleton<IWatchableKv>(slot).AddSingleton<ILeases>(slot).AddSingleton<IStoreMaintenance>(slot);
        s.AddSingleton<RpcInterceptor>().AddSingleton<EngineMetrics>();
        s.AddGrpc(o =>
        {
            // etcd accepts a message up to --max-request-bytes plus 512 KiB of gRPC overhead; the
            // request itself is then checked against --max-request-bytes ("request is too large").
            o.MaxReceiveMessageSize = config.MaxRequestBytes + (512 * 1024);
            o.MaxSendMessageSize = int.MaxValue;
            o.Interceptors.Add<RpcInterceptor>();
        });
        // Our binder instead of Grpc.AspNetCore's, so that undecodable requests get etcd's status.
        foreach (var d in s.Where(d => d.ServiceType == typeof(IServiceMethodProvider<>) && d.ImplementationType?.Name.StartsWith("BinderServiceMethodProvider", StringComparison.Ordinal) == true).ToList())
        {
            s.Remove(d);
        }

        s.AddSingleton(typeof(IServiceMethodProvider<>), typeof(DecodeGuardMethodProvider<>));

        var app = builder.Build();
        app.MapGrpcService<KvService>();
        app.MapGrpcService<WatchService>();
        app.MapGrpcService<LeaseService>();
        app.MapGrpcService<ClusterService>();
        app.MapGrpcService<MaintenanceService>();
        app.MapGrpcService<AuthService>();
        if (raft is not null)
        {
            app.MapGrpcService<PeerService>();
            // Joins the cluster: replays the Raft log into the engine (entries it already holds are
            // skipped), then takes part in elections and replication.
            raft.StartAsync(CancellationToken.None).GetAwaiter().GetResult();
        }

        HttpEndpoints.Map(app, slot, quota, consensus);

        var compactor = AutoCompactor.Create(slot, config.AutoCompactionMode, config.AutoCompactionRetention, time, loggerFactory.CreateLogger<AutoCompactor>());
        if (compactor is not null && raft is not null)
        {
            compactor.Compact = async (rev, ct) =>
            {
                if (raft.IsLeader)
                {
                    await consensus.CompactAsync(new Api.CompactionRequest { Revision = rev }, ct);
                }
            };
        }
        var stop = new CancellationTokenSource();
        var compaction = compactor is null ? Task.CompletedTask : Task.Run(() => compactor.RunAsync(stop.Token));
        var log = loggerFactory.CreateLogger("KvCluster.KvServer");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var url in config.ListenClientUrls)
            {
                KvServerLog.Serving(log, url.GetLeftPart(UriPartial.Authority));
            }

            KvServerLog.Ready(log, member.Name, member.Id, member.ClusterId, config.DataDir, slot.Revision);
        });
        app.Lifetime.ApplicationStopped.Register(() =>
        {
            stop.Cancel();
            compaction.ContinueWith(_ => { }, TaskScheduler.Default).Wait(TimeSpan.FromSeconds(5));
            if (consensus is IAsyncDisposable d)
            {
                d.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(5));
            }

            raft?.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(10));
            // Every acknowledged write is already in the engine's WAL: a final checkpoint that does not
            // finish in time only makes the next start replay more, so shutdown never hangs on it.
            if (!slot.DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(15)))
            {
                KvServerLog.ShutdownSlow(log, "the engine's final checkpoint");
            }

            loggerFactory.Dispose();
        });
        return app;
    }

    /// <summary>Structured JSON lines on stderr, one per event, like etcd's zap logger.</summary>
    private static void ConfigureLogging(ILoggingBuilder logging, string level)
    {
        logging.ClearProviders();
        logging.AddJsonConsole(o =>
        {
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ";
        });
        logging.Services.Configure<Microsoft.Extensions.Logging.Console.ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(level switch
        {
            "debug" => LogLevel.Debug,
            "warn" => LogLevel.Warning,
            "error" or "panic" or "fatal" => LogLevel.Error,
            _ => LogLevel.Information,
        });
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        logging.AddFilter("Grpc", LogLevel.Warning);
    }

    private static void ConfigureKestrel(KestrelServerOptions k, ServerConfig config)
    {
        // etcd lets a connection carry any number of streams (watches, keep-alives, requests).
        k.Limits.Http2.MaxStreamsPerConnection = 1 << 16;
        k.Limits.MaxRequestBodySize = null;
        k.AddServerHeader = false;
        string? http1Socket = null;
        foreach (var url in config.ListenClientUrls)
        {
            var ip = url.Host is "localhost" ? IPAddress.Loopback : IPAddress.Parse(url.Host);
            k.Listen(ip, url.Port, listen =>
            {
                if (url.Scheme == "https")
                {
                    // TLS: ALPN picks HTTP/2 or HTTP/1.1.
                    listen.Protocols = HttpProtocols.Http1AndHttp2;
                    listen.UseHttps(Tls(config));
                    listen.Use(Http2.AuthorityRewriter.Middleware);
                    return;
                }

                listen.Protocols = HttpProtocols.Http2;
                http1Socket ??= ListenHttp1Socket(k);
                listen.Use(CleartextMux.Middleware(http1Socket));
                listen.Use(Http2.AuthorityRewriter.Middleware);
            });
        }
    }

    /// <summary>The internal HTTP/1.1 endpoint behind <see cref="CleartextMux"/>: a Unix socket only this process uses.</summary>
    private static string ListenHttp1Socket(KestrelServerOptions k)
    {
        var path = Path.Combine(Path.GetTempPath(), $"kvserver-{Environment.ProcessId}-{Guid.NewGuid():N}.sock");
        File.Delete(path);
        k.ListenUnixSocket(path, o => o.Protocols = HttpProtocols.Http1);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => File.Delete(path);
        return path;
    }

    private static HttpsConnectionAdapterOptions Tls(ServerConfig config)
    {
        if (config.CertFile is null || config.KeyFile is null)
        {
            throw new InvalidOperationException("an https client URL needs --cert-file and --key-file");
        }

        var options = new HttpsConnectionAdapterOptions { ServerCertificate = X509Certificate2.CreateFromPemFile(config.CertFile, config.KeyFile) };
        if (config.ClientCertAuth)
        {
            if (config.TrustedCaFile is null)
            {
                throw new InvalidOperationException("--client-cert-auth needs --trusted-ca-file");
            }

            var ca = X509CertificateLoader.LoadCertificateFromFile(config.TrustedCaFile);
            options.ClientCertificateMode = ClientCertificateMode.RequireCertificate;
            options.ClientCertificateValidation = (cert, _, _) =>
            {
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                return chain.Build(cert);
            };
        }

        return options;
    }
}
