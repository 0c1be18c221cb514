using System.Net;
using System.Security.Cryptography.X509Certificates;
using k8s;
using KvCluster.NodeAgent.Images;
using KvCluster.NodeAgent.Node;
using KvCluster.NodeAgent.Pods;
using KvCluster.NodeAgent.Runtime;
using KvCluster.NodeAgent.Server;
using KvCluster.NodeAgent.Volumes;
using KvCluster.Shared;
using Microsoft.Extensions.Logging;

namespace KvCluster.NodeAgent;

/// <summary>Wires the agent together: apiserver client, runtime, kubelet-style server, node registration, pod workers.</summary>
public static class NodeAgentHost
{
    public static async Task<int> RunAsync(NodeAgentOptions options, CancellationToken ct)
    {
        // Starting a container forks and execs (Process.Start blocks its thread for a moment): when many
        // pods arrive at once, a thread pool sized for 2 cores would queue them behind its slow growth.
        ThreadPool.GetMinThreads(out var workers, out var io);
        ThreadPool.SetMinThreads(Math.Max(workers, 64), io);
        // Structured lines (one JSON object each), as the apiserver and kvserver log.
        using var loggers = LoggerFactory.Create(b => b.AddJsonConsole(o =>
        {
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.UseUtcTimestamp = true;
        }).SetMinimumLevel(LogLevel.Information).AddFilter("Microsoft.AspNetCore", LogLevel.Warning));
        var log = loggers.CreateLogger("nodeagent");
        var config = Kubeconfig.Load(options.Kubeconfig);
        using var client = new Kubernetes(config);
        Directory.CreateDirectory(options.RootDir);
        var images = new ImageStore(options.RootDir);
        IContainerRuntime runtime = options.ContainerRuntime == "hollow"
            ? new HollowRuntime()
            : await OciRuntime.CreateAsync(options.ContainerRuntime, options.RootDir, loggers.CreateLogger("runtime"), ct);
        var address = options.Address is "0.0.0.0" or "::" ? "127.0.0.1" : options.Address;
        var node = new NodeInfo(options.NodeName, address, Environment.ProcessorCount, NodeRegistrar.MemoryBytes(), options.PodMaxPids);
        var env = new EnvResolver(client, node);
        var ctx = new PodContext(client, runtime, runtime is HollowRuntime ? new HollowImages() : images, new VolumeManager(client, env), env,
            new EventRecorder(client, "kubelet", options.NodeName, loggers.CreateLogger("events")), node, Path.GetFullPath(options.RootDir), loggers.CreateLogger("pods"));
        var pods = new PodManager(ctx);
        await using var server = await KubeletServer.StartAsync(new KubeletServerOptions
        {
            BindAddress = IPAddress.Parse(options.Address),
            Port = options.Port,
            CertDir = Path.Combine(options.RootDir, "pki"),
            NodeName = options.NodeName,
            ClientCa = ClientCa(options, config),
        }, pods, loggers, ct);
        log.LogInformation("nodeagent {Node}: runtime {Runtime}, kubelet API on https://{Address}:{Port}, root {Root}",
            options.NodeName, runtime.Version, options.Address, server.Port, options.RootDir);
        var registrar = new NodeRegistrar(client, options, node, runtime.Version, () => server.Port, loggers.CreateLogger("node"));
        await registrar.RegisterAsync(ct);
        var heartbeat = registrar.RunAsync(ct);
        await pods.RunAsync(ct);
        await heartbeat;
        log.LogInformation("nodeagent {Node} stopped", options.NodeName);
        return 0;
    }

    /// <summary>--client-ca-file, else the kubeconfig's certificate authority: who may call the kubelet API (the apiserver's client certificate).</summary>
    private static X509Certificate2 ClientCa(NodeAgentOptions options, KubernetesClientConfiguration config)
    {
        if (options.ClientCaFile is { } file)
        {
            try
            {
                return X509CertificateLoader.LoadCertificateFromFile(file);
            }
            catch (Exception e) when (e is System.Security.Cryptography.CryptographicException or IOException or UnauthorizedAccessException)
            {
                throw new ArgumentException($"--client-ca-file {file}: not a readable certificate: {e.Message}", e);
            }
        }

        return config.SslCaCerts is { Count: > 0 } cas
            ? cas[0]
            : throw new ArgumentException("no client CA: the kubeconfig has no certificate-authority-data; pass --client-ca-file (the apiserver's CA, e.g. <data-dir>/pki/ca.crt)");
    }
}
