using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using YamlDotNet.RepresentationModel;

using KvCluster.Bench;

namespace KvCluster.ApiBench;

/// <summary>
/// The server and credentials of a kubeconfig's current context: the server URL, the CA to trust
/// (certificate-authority-data or certificate-authority; only that CA, no system roots), and a
/// bearer token (token or tokenFile) or a client certificate (client-certificate-data/-key-data).
/// </summary>
internal sealed class KubeTarget
{
    private KubeTarget(Uri server, X509Certificate2Collection? ca, bool insecure, string? token, X509Certificate2? clientCert)
    {
        Server = server;
        Ca = ca;
        Insecure = insecure;
        Token = token;
        ClientCert = clientCert;
    }

    public Uri Server { get; }

    public X509Certificate2Collection? Ca { get; }

    public bool Insecure { get; }

    public string? Token { get; }

    public X509Certificate2? ClientCert { get; }

    public static string DefaultPath() =>
        Environment.GetEnvironmentVariable("KUBECONFIG")?.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()
        ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".kube", "config");

    public static KubeTarget Load(string path)
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            yaml.Load(reader);
        }

        if (yaml.Documents.Count == 0 || yaml.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new ArgumentException($"{path}: not a kubeconfig");
        }

        var dir = Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".";
        var current = Scalar(root, "current-context");
        var context = current is null ? null : Named(root, "contexts", current, "context");
        var cluster = Named(root, "clusters", context is null ? null : Scalar(context, "cluster"), "cluster")
            ?? throw new ArgumentException($"{path}: no cluster for context {current ?? "(none)"}");
        var user = Named(root, "users", context is null ? null : Scalar(context, "user"), "user");

        var server = Scalar(cluster, "server") ?? throw new ArgumentException($"{path}: the cluster has no server");
        X509Certificate2Collection? ca = null;
        var caPem = Scalar(cluster, "certificate-authority-data") is { } caData
            ? Encoding.UTF8.GetString(Convert.FromBase64String(caData))
            : Scalar(cluster, "certificate-authority") is { } caFile ? File.ReadAllText(Path.Combine(dir, caFile)) : null;
        if (caPem is not null)
        {
            ca = [];
            ca.ImportFromPem(caPem);
        }

        string? token = null;
        X509Certificate2? clientCert = null;
        if (user is not null)
        {
            token = Scalar(user, "token") ?? (Scalar(user, "tokenFile") is { } tokenFile ? File.ReadAllText(Path.Combine(dir, tokenFile)).Trim() : null);
            if (Scalar(user, "client-certificate-data") is { } certData && Scalar(user, "client-key-data") is { } keyData)
            {
                using var pem = X509Certificate2.CreateFromPem(
                    Encoding.UTF8.GetString(Convert.FromBase64String(certData)), Encoding.UTF8.GetString(Convert.FromBase64String(keyData)));
                clientCert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
            }
        }

        return new KubeTarget(new Uri(server.TrimEnd('/') + "/"), ca, Scalar(cluster, "insecure-skip-tls-verify") == "true", token, clientCert);
    }

    /// <summary>
    /// An HttpClient on its own SocketsHttpHandler: up to <paramref name="connections"/> connections
    /// (HTTP/1.1: one request in flight per connection; with <paramref name="http2"/> h2 when TLS
    /// offers it, 100 streams per connection and more connections beyond that).
    /// </summary>
    public HttpClient CreateClient(int connections, bool http2, TimeSpan timeout)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = Math.Max(1, connections),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            ConnectTimeout = TimeSpan.FromSeconds(30),
            EnableMultipleHttp2Connections = true,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = Validate,
                ClientCertificates = ClientCert is null ? null : [ClientCert],
            },
        };
        var http = new HttpClient(handler, disposeHandler: true)
        {
            BaseAddress = Server,
            Timeout = timeout,
            DefaultRequestVersion = http2 ? HttpVersion.Version20 : HttpVersion.Version11,
            DefaultVersionPolicy = http2 ? HttpVersionPolicy.RequestVersionOrLower : HttpVersionPolicy.RequestVersionExact,
        };
        http.DefaultRequestHeaders.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        http.DefaultRequestHeaders.UserAgent.Add(new ProductInfoHeaderValue("apibench", "1.0"));
        if (Token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        return http;
    }

    /// <summary>The kubeconfig's CA only (no system roots), and the server's name must match the certificate.</summary>
    private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (Insecure)
        {
            return true;
        }

        if (Ca is null)
        {
            return errors == SslPolicyErrors.None;
        }

        if (certificate is null || (errors & (SslPolicyErrors.RemoteCertificateNameMismatch | SslPolicyErrors.RemoteCertificateNotAvailable)) != 0)
        {
            return false;
        }

        using var custom = new X509Chain();
        custom.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        custom.ChainPolicy.CustomTrustStore.AddRange(Ca);
        custom.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain is not null)
        {
            // Intermediates the server sent along.
            foreach (var element in chain.ChainElements)
            {
                custom.ChainPolicy.ExtraStore.Add(element.Certificate);
            }
        }

        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        return custom.Build(leaf);
    }

    private static string? Scalar(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var node) && node is YamlScalarNode { Value: { Length: > 0 } v } ? v : null;

    /// <summary>The <paramref name="field"/> mapping of the entry of list <paramref name="list"/> named <paramref name="name"/> (the only entry when no name is given).</summary>
    private static YamlMappingNode? Named(YamlMappingNode root, string list, string? name, string field)
    {
        if (!root.Children.TryGetValue(new YamlScalarNode(list), out var node) || node is not YamlSequenceNode entries)
        {
            return null;
        }

        var candidates = entries.Children.OfType<YamlMappingNode>().ToList();
        var entry = name is null
            ? candidates.Count == 1 ? candidates[0] : null
            : candidates.FirstOrDefault(e => Scalar(e, "name") == name);
        return entry is not null && entry.Children.TryGetValue(new YamlScalarNode(field), out var value) ? value as YamlMappingNode : null;
    }
}
