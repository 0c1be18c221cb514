using System.Net;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Tests.Http;

namespace KvCluster.ApiServer.Tests.Infra;

/// <summary>
/// An apiserver and a <see cref="FakeKubelet"/> registered as node <see cref="NodeName"/> (status
/// addresses InternalIP 127.0.0.1, daemonEndpoints.kubeletEndpoint.Port), shared by the tests of
/// the "kubelet" collection; each test works in its own namespace.
/// </summary>
public sealed class KubeletFixture : IAsyncLifetime
{
    private ApiServerProcess? _server;
    private FakeKubelet? _kubelet;

    public ApiServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public FakeKubelet Kubelet => _kubelet ?? throw new InvalidOperationException("not started");

    public string NodeName { get; } = Names.Unique("node");

    public async Task InitializeAsync()
    {
        _server = await ApiServerProcess.StartAsync(false);
        _kubelet = await FakeKubelet.StartAsync(Path.Combine(_server.DataDir, "pki", "ca.crt"));
        using var rest = new RestClient(_server);
        await RegisterNodeAsync(rest, NodeName, _kubelet.Port);
    }

    /// <summary>Creates a Node whose kubelet listens on 127.0.0.1:<paramref name="port"/>, as a node agent registers itself.</summary>
    public static async Task RegisterNodeAsync(RestClient rest, string name, int port)
    {
        var node = new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Node", ["metadata"] = new JsonObject { ["name"] = name } };
        var (created, body) = await rest.PostAsync("/api/v1/nodes", node);
        Assert.True(created == HttpStatusCode.Created, body.ToJsonString());
        body["status"] = new JsonObject
        {
            ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = "127.0.0.1" }, new JsonObject { ["type"] = "Hostname", ["address"] = name }),
            ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = port } },
        };
        var (updated, status) = await rest.PutAsync($"/api/v1/nodes/{name}/status", body);
        Assert.True(updated == HttpStatusCode.OK, status.ToJsonString());
    }

    /// <summary>A pod with the given containers, bound to <paramref name="node"/> (none: unscheduled).</summary>
    public static JsonObject Pod(string name, string? node, params string[] containers)
    {
        var list = new JsonArray();
        foreach (var c in containers)
        {
            list.Add(new JsonObject { ["name"] = c, ["image"] = "busybox:1.36" });
        }

        var spec = new JsonObject { ["containers"] = list };
        if (node is not null)
        {
            spec["nodeName"] = node;
        }

        return new JsonObject { ["apiVersion"] = "v1", ["kind"] = "Pod", ["metadata"] = new JsonObject { ["name"] = name }, ["spec"] = spec };
    }

    public async Task DisposeAsync()
    {
        if (_kubelet is not null)
        {
            await _kubelet.DisposeAsync();
        }

        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition("kubelet")]
public sealed class KubeletCollection : ICollectionFixture<KubeletFixture>;
