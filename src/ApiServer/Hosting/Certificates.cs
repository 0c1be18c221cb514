using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvCluster.ApiServer.Hosting;

/// <summary>
/// The cluster CA, the apiserver's serving certificate and its client certificate for kubelets,
/// generated on first start into the cert dir (ca.crt/.key, apiserver.crt/.key,
/// apiserver-kubelet-client.crt/.key) and reused after that, as kubeadm lays them out. They exist with
/// --plain-http too: kubelets still authenticate the apiserver by the client certificate.
/// </summary>
public sealed class Certificates
{
    private const string ServerAuth = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuth = "1.3.6.1.5.5.7.3.2";

    private Certificates(X509Certificate2 ca, X509Certificate2 serving, X509Certificate2 kubeletClient)
    {
        Ca = ca;
        Serving = serving;
        KubeletClient = kubeletClient;
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Serving { get; }

    /// <summary>What the apiserver presents to kubelets: CN kube-apiserver-kubelet-client, O system:masters, clientAuth, signed by <see cref="Ca"/>.</summary>
    public X509Certificate2 KubeletClient { get; }

    public string CaPem => Ca.ExportCertificatePem();

    public static Certificates LoadOrCreate(string dir)
    {
        Directory.CreateDirectory(dir);
        var caCrt = Path.Combine(dir, "ca.crt");
        var caKey = Path.Combine(dir, "ca.key");
        var crt = Path.Combine(dir, "apiserver.crt");
        var key = Path.Combine(dir, "apiserver.key");
        var clientCrt = Path.Combine(dir, "apiserver-kubelet-client.crt");
        var clientKey = Path.Combine(dir, "apiserver-kubelet-client.key");
        if (!File.Exists(caCrt) || !File.Exists(caKey))
        {
            using var caKeyPair = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=kvcluster-ca", caKeyPair, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign | X509KeyUsageFlags.DigitalSignature, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            using var ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(10));
            Write(caCrt, ca.ExportCertificatePem());
            Write(caKey, caKeyPair.ExportPkcs8PrivateKeyPem());

            // Certificates of an older CA would no longer chain.
            File.Delete(crt);
            File.Delete(clientCrt);
        }

        var caCert = X509Certificate2.CreateFromPemFile(caCrt, caKey);
        if (!File.Exists(crt) || !File.Exists(key))
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (var dns in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", Dns.GetHostName() })
            {
                san.AddDnsName(dns);
            }

            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
            Issue(caCert, "CN=kube-apiserver", ServerAuth, san.Build(), crt, key);
        }

        if (!File.Exists(clientCrt) || !File.Exists(clientKey))
        {
            Issue(caCert, "CN=kube-apiserver-kubelet-client, O=system:masters", ClientAuth, null, clientCrt, clientKey);
        }

        return new Certificates(caCert, Load(crt, key), Load(clientCrt, clientKey));
    }

    /// <summary>Signs a one-year leaf certificate for <paramref name="subject"/> with <paramref name="ca"/> and writes it and its key as PEM.</summary>
    private static void Issue(X509Certificate2 ca, string subject, string usage, X509Extension? san, string crt, string key)
    {
        using var keyPair = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(subject, keyPair, HashAlgorithmName.SHA256);
        if (san is not null)
        {
            request.CertificateExtensions.Add(san);
        }

        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(usage)], false));
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var cert = request.Create(ca, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1), serial);
        Write(crt, cert.ExportCertificatePem());
        Write(key, keyPair.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>A certificate with its key, reloaded through PKCS#12: TLS on Linux wants a key it can use directly.</summary>
    private static X509Certificate2 Load(string crt, string key)
    {
        using var pem = X509Certificate2.CreateFromPemFile(crt, key);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static void Write(string path, string text)
    {
        File.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }
}
