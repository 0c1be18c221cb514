using System.Diagnostics;
using System.Globalization;
using System.Text;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Infra;

/// <summary>
/// An apiserver started by the tests as its own OS process (HTTPS, its own CA and admin token, as a
/// user runs it), on the embedded store or on a real etcd 3.4.23 that it also starts. Stopped by PID.
/// </summary>
public sealed class ApiServerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output;
    private readonly Process? _etcd;

    private ApiServerProcess(string dataDir, int port, Process process, StringBuilder output, Process? etcd, string storeName)
    {
        DataDir = dataDir;
        Port = port;
        _process = process;
        _output = output;
        _etcd = etcd;
        StoreName = storeName;
    }

    public string DataDir { get; }

    public int Port { get; }

    public string StoreName { get; }

    public string Kubeconfig => Path.Combine(DataDir, "admin.kubeconfig");

    public string Url => $"https://127.0.0.1:{Port}";

    public string Token => File.ReadAllText(Path.Combine(DataDir, "admin.token")).Trim();

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "apiserver.dll");

    /// <summary>Starts an apiserver on the embedded store (<paramref name="onEtcd"/> false) or on a fresh etcd 3.4.23.</summary>
    public static async Task<ApiServerProcess> StartAsync(bool onEtcd, params string[] extraFlags)
    {
        var dataDir = Path.Combine(Path.GetTempPath(), $"apitest-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dataDir);
        Process? etcd = null;
        var flags = new List<string> { Dll, "--data-dir", dataDir };
        if (onEtcd)
        {
            var client = Processes.FreePort();
            var peer = Processes.FreePort();
            var url = $"http://127.0.0.1:{client}";
            (etcd, _) = Processes.Start("/usr/bin/etcd",
            [
                "--name", "default", "--data-dir", Path.Combine(dataDir, "etcd"), "--listen-client-urls", url, "--advertise-client-urls", url,
                "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
                "--initial-cluster", $"default=http://127.0.0.1:{peer}", "--log-level", "error", "--logger", "zap",
            ]);
            flags.AddRange(["--etcd-servers", url]);
        }

        var port = Processes.FreePort();
        flags.AddRange(["--secure-port", port.ToString(CultureInfo.InvariantCulture), .. extraFlags]);
        var (process, output) = Processes.Start("dotnet", flags);
        var server = new ApiServerProcess(dataDir, port, process, output, etcd, onEtcd ? "etcd" : "embedded");
        await server.WaitReadyAsync();
        return server;
    }

    /// <summary>Waits (at most 60 s) for the kubeconfig the server writes once it serves.</summary>
    private async Task WaitReadyAsync()
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"apiserver exited with {_process.ExitCode}:\n{Output}");
            }

            if (File.Exists(Kubeconfig))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException("apiserver did not become ready in 60 s:\n" + Output);
    }

    /// <summary>An HttpClient that trusts the server's CA and sends the admin token.</summary>
    public HttpClient Http(bool authenticated = true)
    {
        var ca = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(Path.Combine(DataDir, "pki", "ca.crt"));
        var handler = new HttpClientHandler
        {
            ServerCertificateCustomValidationCallback = (_, cert, _, _) =>
            {
                using var chain = new System.Security.Cryptography.X509Certificates.X509Chain();
                chain.ChainPolicy.TrustMode = System.Security.Cryptography.X509Certificates.X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.CustomTrustStore.Add(ca);
                chain.ChainPolicy.RevocationMode = System.Security.Cryptography.X509Certificates.X509RevocationMode.NoCheck;
                return cert is not null && chain.Build(cert);
            },
        };
        var http = new HttpClient(handler) { BaseAddress = new Uri(Url), Timeout = TimeSpan.FromSeconds(30) };
        if (authenticated)
        {
            http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        }

        return http;
    }

    public async ValueTask DisposeAsync()
    {
        Processes.Kill(_process);
        _process.Dispose();
        if (_etcd is not null)
        {
            Processes.Kill(_etcd);
            _etcd.Dispose();
        }

        await Task.Yield();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
