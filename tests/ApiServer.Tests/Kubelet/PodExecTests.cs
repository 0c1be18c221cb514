using System.Net;
using System.Net.WebSockets;
using System.Text;
using KvCluster.ApiServer.Tests.Http;
using KvCluster.ApiServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Kubelet;

/// <summary>kubectl exec and attach over WebSocket, relayed by the apiserver to the pod's kubelet (a <see cref="FakeKubelet"/>).</summary>
[Collection("kubelet")]
public sealed class PodExecTests(KubeletFixture fixture) : IDisposable
{
    private readonly Infra.Kubectl _k = new(fixture.Server);
    private readonly RestClient _rest = new(fixture.Server);

    public void Dispose()
    {
        _k.Dispose();
        _rest.Dispose();
    }

    private async Task<string> NamespaceAsync(params (string Name, string? Node, string[] Containers)[] pods)
    {
        var ns = await _rest.CreateNamespaceAsync();
        foreach (var (name, node, containers) in pods)
        {
            var (code, body) = await _rest.PostAsync($"/api/v1/namespaces/{ns}/pods", KubeletFixture.Pod(name, node, containers));
            Assert.True(code == HttpStatusCode.Created, body.ToJsonString());
        }

        return ns;
    }

    [Fact]
    public async Task Exec_runs_on_the_kubelet_and_kubectl_exits_with_the_commands_code()
    {
        var ns = await NamespaceAsync(("box", fixture.NodeName, ["main", "side"]));
        var echo = await _k.RunAsync($"-n {ns} exec box -c main -- echo hello world");
        Assert.True(echo.ExitCode == 0, echo.ToString());
        Assert.Equal("hello world\n", echo.Stdout);

        var failed = await _k.RunAsync($"-n {ns} exec box -c side -- fail 3");
        Assert.True(failed.ExitCode == 3, failed.ToString());
        Assert.Contains("failing", failed.Stderr);
        Assert.Contains("command terminated with exit code 3", failed.Stderr);

        // What the kubelet was asked: its own parameter names, and the best protocol kubectl offered.
        var request = await _k.RunAsync($"-n {ns} exec box -c side -- request");
        Assert.Equal($"/exec/{ns}/box/side?command=request&error=1&output=1 v5.channel.k8s.io\n", request.Stdout);
    }

    [Fact]
    public async Task Exec_i_feeds_stdin_until_it_ends()
    {
        var ns = await NamespaceAsync(("cat", fixture.NodeName, ["main"]));
        var r = await _k.RunAsync($"-n {ns} exec -i cat -- cat", "one\ntwo\nthree\n");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal("one\ntwo\nthree\n", r.Stdout);
        Assert.Contains(fixture.Kubelet.Requests, q => q.PathAndQuery == $"/exec/{ns}/cat/main?command=cat&error=1&input=1&output=1");
    }

    [Fact]
    public async Task Attach_relays_the_containers_output()
    {
        var ns = await NamespaceAsync(("att", fixture.NodeName, ["main"]));
        var r = await _k.RunAsync($"-n {ns} attach att");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains("attached to main", r.Stdout);
        Assert.Contains(fixture.Kubelet.Requests, q => q.PathAndQuery == $"/attach/{ns}/att/main?error=1&output=1");
    }

    [Fact]
    public async Task A_v4_client_gets_v4_and_the_error_channels_status()
    {
        var ns = await NamespaceAsync(("v4", fixture.NodeName, ["main"]));
        using var ws = new ClientWebSocket();
        ws.Options.AddSubProtocol("v4.channel.k8s.io");
        ws.Options.SetRequestHeader("Authorization", "Bearer " + fixture.Server.Token);
        ws.Options.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await ws.ConnectAsync(new Uri($"wss://127.0.0.1:{fixture.Server.Port}/api/v1/namespaces/{ns}/pods/v4/exec?command=echo&command=hi&stdout=true"), timeout.Token);
        Assert.Equal("v4.channel.k8s.io", ws.SubProtocol);
        var frames = new List<byte[]>();
        var buffer = new byte[4096];
        while (true)
        {
            var r = await ws.ReceiveAsync(buffer, timeout.Token);
            if (r.MessageType == WebSocketMessageType.Close)
            {
                break;
            }

            frames.Add(buffer[..r.Count]);
        }

        Assert.Equal(WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
        Assert.Equal([1, .. "hi\n"u8.ToArray()], frames[0]);
        Assert.Equal(3, frames[1][0]);
        Assert.Contains("\"status\":\"Success\"", Encoding.UTF8.GetString(frames[1], 1, frames[1].Length - 1));
        await ws.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
    }

    [Fact]
    public async Task Errors_are_statuses_and_spdy_is_refused_plainly()
    {
        var ns = await NamespaceAsync(("box", fixture.NodeName, ["main"]), ("pending", null, ["main"]));
        var (code, body) = await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/box/exec?command=ls&stdout=true");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("Upgrade request required", body["message"]?.GetValue<string>());

        var spdy = await _k.RunAsync(["-n", ns, "exec", "box", "--", "echo", "x"], env: new Dictionary<string, string> { ["KUBECTL_REMOTE_COMMAND_WEBSOCKETS"] = "false" });
        Assert.NotEqual(0, spdy.ExitCode);
        Assert.Contains("SPDY/3.1 is not served; pods/exec and pods/attach are streamed over WebSocket", spdy.Stderr);

        // Checked before the upgrade, so kubectl's SPDY fallback sees the same error as its WebSocket attempt.
        (code, body) = await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/box/exec?command=ls&stdout=true&container=nope");
        Assert.Equal("container nope is not valid for pod box", body["message"]?.GetValue<string>());
        Assert.Contains("pod pending does not have a host assigned", (await _k.RunAsync($"-n {ns} exec pending -- echo x")).Stderr);
        Assert.Contains("pods \"absent\" not found", (await _k.RunAsync($"-n {ns} exec absent -- echo x")).Stderr);
    }
}
