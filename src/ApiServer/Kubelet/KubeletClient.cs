using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace KvCluster.ApiServer.Kubelet;

/// <summary>
/// The apiserver's HTTPS client for kubelets: it presents the apiserver's kubelet client certificate
/// and, like kube-apiserver without --kubelet-certificate-authority, does not verify the kubelet's
/// (self-signed) serving certificate. One connection pool for logs and for exec/attach upgrades.
/// </summary>
public sealed class KubeletClient : IDisposable
{
    private readonly SocketsHttpHandler _handler;
    private readonly HttpMessageInvoker _invoker;

    public KubeletClient(X509Certificate2 clientCertificate)
    {
        _handler = new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(90),
            AllowAutoRedirect = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = [clientCertificate],

                // Sent whatever CA list the kubelet names: its trust decides, not ours.
                LocalCertificateSelectionCallback = (_, _, _, _, _) => clientCertificate,
                RemoteCertificateValidationCallback = (_, _, _, _) => true,
            },
        };
        _invoker = new HttpMessageInvoker(_handler, disposeHandler: false);
    }

    /// <summary>A GET whose answer is returned once its headers are in; the body streams.</summary>
    public Task<HttpResponseMessage> GetAsync(Uri uri, CancellationToken ct) =>
        _invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, uri) { Version = HttpVersion.Version11 }, ct);

    /// <summary>
    /// A WebSocket handshake (RFC 6455) offering <paramref name="protocols"/>. A 101 answer's content
    /// stream is the upgraded connection; any other answer is the kubelet's refusal, body and all.
    /// </summary>
    public Task<HttpResponseMessage> UpgradeAsync(Uri uri, string key, IReadOnlyList<string> protocols, CancellationToken ct)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, uri) { Version = HttpVersion.Version11, VersionPolicy = HttpVersionPolicy.RequestVersionExact };
        request.Headers.Connection.Add("Upgrade");
        request.Headers.Upgrade.Add(new System.Net.Http.Headers.ProductHeaderValue("websocket"));
        request.Headers.Add("Sec-WebSocket-Version", "13");
        request.Headers.Add("Sec-WebSocket-Key", key);
        request.Headers.Add("Sec-WebSocket-Protocol", string.Join(", ", protocols));
        return _invoker.SendAsync(request, ct);
    }

    public void Dispose()
    {
        _invoker.Dispose();
        _handler.Dispose();
    }
}
