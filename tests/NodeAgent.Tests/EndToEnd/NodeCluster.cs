using KvCluster.ApiServer.Tests.Infra;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>
/// An apiserver (embedded store) and three node agents shared by the end-to-end tests: "runc-node" with
/// runc, "crun-node" with crun and "hollow-node" with the simulating runtime. Tests work in their own namespaces and name their node in spec.nodeName.
/// </summary>
public sealed class NodeCluster : IAsyncLifetime
{
    private ApiServerProcess? _api;

    public ApiServerProcess Api => _api ?? throw new InvalidOperationException("not started");

    public NodeAgentProcess Runc { get; private set; } = null!;

    public NodeAgentProcess Crun { get; private set; } = null!;

    public NodeAgentProcess Hollow { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _api = await ApiServerProcess.StartAsync(false);
        var runc = NodeAgentProcess.StartAsync(_api.Kubeconfig, "runc-node", "runc");
        var crun = NodeAgentProcess.StartAsync(_api.Kubeconfig, "crun-node", "crun");
        var hollow = NodeAgentProcess.StartAsync(_api.Kubeconfig, "hollow-node", "hollow");
        Runc = await runc;
        Crun = await crun;
        Hollow = await hollow;
    }

    public async Task DisposeAsync()
    {
        await Runc.DisposeAsync();
        await Crun.DisposeAsync();
        await Hollow.DisposeAsync();
        if (_api is not null)
        {
            await _api.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class NodeClusterCollection : ICollectionFixture<NodeCluster>
{
    public const string Name = "node cluster";
}
