using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvCluster.NodeAgent.Tests.Infra;

/// <summary>A throwaway CA and client certificates it signs (as the cluster CA signs the apiserver's kubelet client cert).</summary>
public sealed class TestPki : IDisposable
{
    public TestPki(string name = "test-ca")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        req.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(req.PublicKey, false));
        var now = DateTimeOffset.UtcNow;
        Ca = Reload(req.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(30)));
    }

    public X509Certificate2 Ca { get; }

    /// <summary>The CA alone, as the kubeconfig's certificate-authority-data gives it (no private key).</summary>
    public X509Certificate2 CaPublic => X509CertificateLoader.LoadCertificate(Ca.RawData);

    public X509Certificate2 Client(string user = "kube-apiserver-kubelet-client", string group = "system:masters")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={user}, O={group}", key, HashAlgorithmName.SHA256);
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.2")], false));
        var now = DateTimeOffset.UtcNow;
        using var signed = req.Create(Ca, now.AddMinutes(-5), now.AddDays(1), RandomNumberGenerator.GetBytes(8));
        using var withKey = signed.CopyWithPrivateKey(key);
        return Reload(withKey);
    }

    public void Dispose() => Ca.Dispose();

    // Through PKCS#12 so that TLS can use the key.
    private static X509Certificate2 Reload(X509Certificate2 cert)
    {
        using (cert)
        {
            return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
        }
    }
}
