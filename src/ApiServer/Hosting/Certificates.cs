using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvCluster.ApiServer.Hosting;

/// <summary>
/// The cluster CA and the apiserver's serving certificate, generated on first start into the cert
/// dir (ca.crt, ca.key, apiserver.crt, apiserver.key) and reused after that, as kubeadm lays them out.
/// </summary>
public sealed class Certificates
{
    private Certificates(X509Certificate2 ca, X509Certificate2 serving)
    {
        Ca = ca;
        Serving = serving;
    }

    public X509Certificate2 Ca { get; }

    public X509Certificate2 Serving { get; }

    public string CaPem => Ca.ExportCertificatePem();

    public static Certificates LoadOrCreate(string dir)
    {
        Directory.CreateDirectory(dir);
        var caCrt = Path.Combine(dir, "ca.crt");
        var caKey = Path.Combine(dir, "ca.key");
        var crt = Path.Combine(dir, "apiserver.crt");
        var key = Path.Combine(dir, "apiserver.key");
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
            File.Delete(crt);
        }

        var caCert = X509Certificate2.CreateFromPemFile(caCrt, caKey);
        if (!File.Exists(crt) || !File.Exists(key))
        {
            using var servingKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest("CN=kube-apiserver", servingKey, HashAlgorithmName.SHA256);
            var san = new SubjectAlternativeNameBuilder();
            foreach (var dns in new[] { "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc", "kubernetes.default.svc.cluster.local", Dns.GetHostName() })
            {
                san.AddDnsName(dns);
            }

            san.AddIpAddress(IPAddress.Loopback);
            san.AddIpAddress(IPAddress.IPv6Loopback);
            request.CertificateExtensions.Add(san.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var serial = RandomNumberGenerator.GetBytes(16);
            serial[0] &= 0x7f;
            using var serving = request.Create(caCert, DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddYears(1), serial);
            Write(crt, serving.ExportCertificatePem());
            Write(key, servingKey.ExportPkcs8PrivateKeyPem());
        }

        // Kestrel on Linux wants a certificate whose key it can use directly: reload through PKCS#12.
        using var pem = X509Certificate2.CreateFromPemFile(crt, key);
        var servingCert = X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        return new Certificates(caCert, servingCert);
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
