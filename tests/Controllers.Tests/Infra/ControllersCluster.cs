using System.Diagnostics;
using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;
using KvCluster.ApiServer.Tests.Infra;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.Controllers.Tests.Infra;

/// <summary>
/// An apiserver process and a controllers process on it, as the main job runs them, with a client for the
/// test; both stopped by PID on dispose.
/// </summary>
public sealed class ControllersCluster : IAsyncDisposable
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ApiServerProcess _api;
    private readonly Process _controllers;
    private readonly StringBuilder _output;

    private ControllersCluster(ApiServerProcess api, Process controllers, StringBuilder output, int port)
    {
        _api = api;
        _controllers = controllers;
        _output = output;
        Client = new Kubernetes(KubernetesClientConfiguration.BuildConfigFromConfigFile(api.Kubeconfig));
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(5) };
    }

    public Kubernetes Client { get; }

    /// <summary>The controllers' health and metrics endpoints.</summary>
    public HttpClient Http { get; }

    public string Output
    {
        get { lock (_output) { return _output.ToString(); } }
    }

    /// <summary>Starts both, then waits (at most 60 s) until the controllers' caches are listed (/readyz).</summary>
    public static async Task<ControllersCluster> StartAsync(params string[] flags)
    {
        var api = await ApiServerProcess.StartAsync(false);
        var port = Processes.FreePort();
        var (process, output) = Processes.Start("dotnet",
            [Path.Combine(AppContext.BaseDirectory, "controllers.dll"), "--kubeconfig", api.Kubeconfig, "--port", port.ToString(CultureInfo.InvariantCulture), .. flags]);
        var cluster = new ControllersCluster(api, process, output, port);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            cluster.AssertRunning();
            try
            {
                if ((await cluster.Http.GetAsync("/readyz")).IsSuccessStatusCode)
                {
                    return cluster;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }

            Assert.True(DateTime.UtcNow < deadline, "controllers not ready in 60 s:\n" + cluster.Output);
            await Task.Delay(200);
        }
    }

    public void AssertRunning() => Assert.False(_controllers.HasExited, "controllers exited:\n" + Output);

    /// <summary>A Node with its status (capacity, allocatable, conditions), as an agent registers one.</summary>
    public async Task AddNodeAsync(V1Node node)
    {
        var status = node.Status;
        var created = await Client.CoreV1.CreateNodeAsync(node);
        created.Status = status;
        await Client.CoreV1.ReplaceNodeStatusAsync(created, created.Name());
    }

    public async Task<string> NamespaceAsync()
    {
        var ns = $"ctl-{Guid.NewGuid():N}"[..20];
        await Client.CoreV1.CreateNamespaceAsync(new V1Namespace { Metadata = new V1ObjectMeta { Name = ns } });
        return ns;
    }

    /// <summary>Reads <paramref name="read"/> every 100 ms until <paramref name="done"/> holds (at most <see cref="Patience"/>).</summary>
    public async Task<T> EventuallyAsync<T>(Func<Task<T>> read, Func<T, bool> done, string what)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            var value = await read();
            if (done(value))
            {
                return value;
            }

            AssertRunning();
            Assert.True(DateTime.UtcNow < deadline, $"{what} not within {Patience.TotalSeconds} s; last: {KubernetesJson.Serialize(value)}\n{Output}");
            await Task.Delay(100);
        }
    }

    public Task<V1Pod> PodEventuallyAsync(string ns, string name, Func<V1Pod, bool> done, string what) =>
        EventuallyAsync(() => Client.CoreV1.ReadNamespacedPodAsync(name, ns), done, what);

    public async ValueTask DisposeAsync()
    {
        Processes.Kill(_controllers);
        _controllers.Dispose();
        Http.Dispose();
        Client.Dispose();
        await _api.DisposeAsync();
    }
}
