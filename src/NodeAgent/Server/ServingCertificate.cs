using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace KvCluster.NodeAgent.Server;

/// <summary>The kubelet's self-signed serving certificate: made once in the cert dir (kubelet.crt, kubelet.key), then reused.</summary>
public static class ServingCertificate
{
    public static X509Certificate2 LoadOrCreate(string certDir, string nodeName, IEnumerable<IPAddress> addresses)
    {
        var crt = Path.Combine(certDir, "kubelet.crt");
        var key = Path.Combine(certDir, "kubelet.key");
        if (!File.Exists(crt) || !File.Exists(key))
        {
            Directory.CreateDirectory(certDir);
            using var made = Create(nodeName, addresses);
            using var ecdsa = made.GetECDsaPrivateKey()!;
            File.WriteAllText(key, ecdsa.ExportPkcs8PrivateKeyPem());
            File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.WriteAllText(crt, made.ExportCertificatePem());
        }

        // Through PKCS#12 so that TLS gets a key it can use on every platform.
        using var pem = X509Certificate2.CreateFromPemFile(crt, key);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    private static X509Certificate2 Create(string nodeName, IEnumerable<IPAddress> addresses)
    {
        using var ecdsa = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var req = new CertificateRequest($"CN={nodeName}@{DateTimeOffset.UtcNow.ToUnixTimeSeconds()}", ecdsa, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(nodeName);
        foreach (var ip in addresses.Append(IPAddress.Loopback).Distinct())
        {
            san.AddIpAddress(ip);
        }

        req.CertificateExtensions.Add(san.Build());
        req.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        req.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        var now = DateTimeOffset.UtcNow;
        return req.CreateSelfSigned(now.AddMinutes(-5), now.AddYears(1));
    }
}
