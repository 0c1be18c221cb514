using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>--cert-file/--key-file serve clients over TLS; with --client-cert-auth only certificates from --trusted-ca-file get in.</summary>
public sealed class TlsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kvtls-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task EtcdctlTalksTlsAndClientCertificatesAreRequired()
    {
        using var caKey = RSA.Create(2048);
        var caReq = new CertificateRequest("CN=kvtest-ca", caKey, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        caReq.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caReq.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caReq.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-2), DateTimeOffset.UtcNow.AddDays(2));
        Write("ca.pem", ca.ExportCertificatePem());
        Issue(ca, "server", server: true);
        Issue(ca, "client", server: false);

        await using var kv = new TlsServer(_dir);
        await kv.StartAsync();
        string[] tls = ["--cacert", Path.Combine(_dir, "ca.pem"), "--cert", Path.Combine(_dir, "client.pem"), "--key", Path.Combine(_dir, "client-key.pem")];
        var put = await Etcdctl.RunAsync(kv, ["--endpoints", kv.HttpsEndpoint, .. tls, "put", "secure", "yes"]);
        Assert.True(put.ExitCode == 0, put + kv.Output);
        var get = await Etcdctl.RunAsync(kv, ["--endpoints", kv.HttpsEndpoint, .. tls, "get", "secure", "--print-value-only"]);
        Assert.Equal("yes\n", get.Stdout);

        var noClientCert = await Etcdctl.RunAsync(kv, ["--endpoints", kv.HttpsEndpoint, "--cacert", Path.Combine(_dir, "ca.pem"), "--dial-timeout", "2s", "--command-timeout", "3s", "get", "secure"], timeout: TimeSpan.FromSeconds(20));
        Assert.NotEqual(0, noClientCert.ExitCode);
    }

    private void Issue(X509Certificate2 ca, string name, bool server)
    {
        using var key = RSA.Create(2048);
        var req = new CertificateRequest($"CN=kvtest-{name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (server)
        {
            var san = new SubjectAlternativeNameBuilder();
            san.AddIpAddress(IPAddress.Loopback);
            san.AddDnsName("localhost");
            req.CertificateExtensions.Add(san.Build());
        }

        req.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        using var cert = req.Create(ca, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        Write($"{name}.pem", cert.ExportCertificatePem());
        Write($"{name}-key.pem", key.ExportPkcs8PrivateKeyPem());
    }

    private void Write(string file, string pem) => File.WriteAllText(Path.Combine(_dir, file), pem);

    /// <summary>kvserver with an https client URL (and a plain one, for the harness's health probe).</summary>
    private sealed class TlsServer(string certDir) : ServerProcess("kvserver-tls")
    {
        private readonly int _tlsPort = Processes.FreePort();

        public string HttpsEndpoint => $"https://127.0.0.1:{_tlsPort}";

        protected override (string File, IEnumerable<string> Args) Command(IReadOnlyList<string> extraFlags) =>
            ("dotnet",
            [
                KvServerProcess.Dll, "--data-dir", DataDir, "--listen-client-urls", $"{Url},{HttpsEndpoint}", "--advertise-client-urls", HttpsEndpoint,
                "--cert-file", Path.Combine(certDir, "server.pem"), "--key-file", Path.Combine(certDir, "server-key.pem"),
                "--trusted-ca-file", Path.Combine(certDir, "ca.pem"), "--client-cert-auth",
            ]);
    }
}
