using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace KvCluster.NodeAgent.Server;

/// <summary>How the kubelet-style HTTPS server listens and whom it lets in.</summary>
public sealed record KubeletServerOptions
{
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>The kubelet's 10250; 0 picks a free port (see <see cref="KubeletServer.Port"/>).</summary>
    public int Port { get; init; } = 10250;

    /// <summary>Where the self-signed serving certificate (kubelet.crt, kubelet.key) is made on first start and reused.</summary>
    public required string CertDir { get; init; }

    /// <summary>The node's name: the serving certificate's DNS name (besides 127.0.0.1 and the bind address).</summary>
    public required string NodeName { get; init; }

    /// <summary>Clients must present a certificate chaining to this CA (the kubeconfig's certificate-authority-data).</summary>
    public required X509Certificate2 ClientCa { get; init; }
}
