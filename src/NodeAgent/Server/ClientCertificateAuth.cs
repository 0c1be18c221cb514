using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvCluster.NodeAgent.Server;

/// <summary>
/// x509 client authentication as the kubelet does it with --client-ca-file: the TLS handshake asks for a
/// certificate (and accepts any), then each request needs one that chains to the CA, or it gets 401.
/// </summary>
internal sealed class ClientCertificateAuth(X509Certificate2 ca)
{
    private static readonly Oid ClientAuth = new("1.3.6.1.5.5.7.3.2");

    public bool IsTrusted(X509Certificate2? cert)
    {
        if (cert is null)
        {
            return false;
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(ClientAuth);
        return chain.Build(cert);
    }

    public async Task InvokeAsync(HttpContext ctx, RequestDelegate next)
    {
        var cert = await ctx.Connection.GetClientCertificateAsync(ctx.RequestAborted);
        if (!IsTrusted(cert))
        {
            await KubeletStatus.WriteAsync(ctx, KubeletStatus.Unauthorized());
            return;
        }

        await next(ctx);
    }
}
