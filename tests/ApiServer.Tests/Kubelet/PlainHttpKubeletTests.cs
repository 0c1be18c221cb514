using System.Net;
using System.Net.WebSockets;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Kubelet;

/// <summary>
/// With --plain-http the apiserver still has its CA (in the kubeconfig too, for node agents) and its
/// kubelet client certificate, and still reaches kubelets over HTTPS with it. Driven over plain HTTP
/// with the admin token (kubectl sends no bearer token to an http:// server).
/// </summary>
public sealed class PlainHttpKubeletTests
{
    [Fact]
    public async Task Logs_and_exec_reach_the_kubelet_with_the_client_certificate()
    {
        await using var server = await ApiServerProcess.StartAsync(false, "--plain-http");
        var pki = Path.Combine(server.DataDir, "pki");
        Assert.True(File.Exists(Path.Combine(pki, "apiserver-kubelet-client.crt")) && File.Exists(Path.Combine(pki, "apiserver-kubelet-client.key")));
        var kubeconfig = await File.ReadAllTextAsync(server.Kubeconfig);
        Assert.Contains($"server: http://127.0.0.1:{server.Port}", kubeconfig);
        Assert.Contains("certificate-authority-data: ", kubeconfig);

        await using var kubelet = await FakeKubelet.StartAsync(Path.Combine(pki, "ca.crt"));
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{server.Port}") };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", server.Token);
        var node = new JsonObject
        {
            ["apiVersion"] = "v1",
            ["kind"] = "Node",
            ["metadata"] = new JsonObject { ["name"] = "plain" },
            ["status"] = new JsonObject
            {
                ["addresses"] = new JsonArray(new JsonObject { ["type"] = "InternalIP", ["address"] = "127.0.0.1" }),
                ["daemonEndpoints"] = new JsonObject { ["kubeletEndpoint"] = new JsonObject { ["Port"] = kubelet.Port } },
            },
        };
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/nodes", Json(node))).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await http.PostAsync("/api/v1/namespaces/default/pods", Json(KubeletFixture.Pod("p", "plain", "main")))).StatusCode);

        Assert.Equal("main line 5\n", await http.GetStringAsync("/api/v1/namespaces/default/pods/p/log?tailLines=1"));

        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("v5.channel.k8s.io");
        ws.Options.SetRequestHeader("Authorization", "Bearer " + server.Token);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ws.ConnectAsync(new Uri($"ws://127.0.0.1:{server.Port}/api/v1/namespaces/default/pods/p/exec?command=echo&command=plain&stdout=true"), timeout.Token);
        var buffer = new byte[4096];
        var first = await ws.ReceiveAsync(buffer, timeout.Token);
        Assert.Equal([1, .. "plain\n"u8.ToArray()], buffer[..first.Count]);
        Assert.All(kubelet.Requests, r => Assert.Equal("CN=kube-apiserver-kubelet-client, O=system:masters", r.Client));
    }

    private static StringContent Json(JsonObject o) => new(o.ToJsonString(), System.Text.Encoding.UTF8, "application/json");
}
