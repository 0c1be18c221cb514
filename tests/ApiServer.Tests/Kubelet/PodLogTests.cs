using System.Net;
using KvCluster.ApiServer.Tests.Http;
using KvCluster.ApiServer.Tests.Infra;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.ApiServer.Tests.Kubelet;

/// <summary>kubectl logs through the apiserver to the pod's kubelet (a <see cref="FakeKubelet"/>), and kube-apiserver's errors on the way.</summary>
[Collection("kubelet")]
public sealed class PodLogTests(KubeletFixture fixture) : IDisposable
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
    public async Task Logs_tail_container_and_timestamps_come_from_the_pods_kubelet_with_the_client_certificate()
    {
        var node = fixture.NodeName;
        var ns = await NamespaceAsync(("one", node, ["main"]), ("two", node, ["first", "second"]));
        Assert.Equal("main line 1\nmain line 2\nmain line 3\nmain line 4\nmain line 5\n", await _k.OkAsync($"-n {ns} logs one"));
        Assert.Equal("main line 4\nmain line 5\n", await _k.OkAsync($"-n {ns} logs one --tail 2"));
        Assert.Equal("second line 5\n", await _k.OkAsync($"-n {ns} logs two -c second --tail=1"));
        Assert.Equal("2026-01-01T00:00:05.000000000Z first line 5\n", await _k.OkAsync($"-n {ns} logs two -c first --tail=1 --timestamps"));
        Assert.Equal("main l", await _k.OkAsync($"-n {ns} logs one --limit-bytes 6"));

        var asked = fixture.Kubelet.Requests.Where(r => r.PathAndQuery.Contains($"/{ns}/", StringComparison.Ordinal)).ToList();
        Assert.Contains(asked, r => r.PathAndQuery == $"/containerLogs/{ns}/one/main?tailLines=2");
        Assert.Contains(asked, r => r.PathAndQuery == $"/containerLogs/{ns}/two/first?tailLines=1&timestamps=true");
        Assert.Contains(asked, r => r.PathAndQuery == $"/containerLogs/{ns}/one/main?limitBytes=6");
        Assert.All(asked, r => Assert.Equal("CN=kube-apiserver-kubelet-client, O=system:masters", r.Client));
    }

    [Fact]
    public async Task Follow_shows_lines_as_the_kubelet_writes_them_and_ends_with_its_stream()
    {
        var ns = await NamespaceAsync(("tailed", fixture.NodeName, ["main"]));
        var follow = fixture.Kubelet.Follow(ns, "tailed", "main");
        var (process, output) = _k.Start($"-n {ns} logs -f tailed");
        try
        {
            await follow.WriteAsync("first");
            await WaitForAsync(output, "first\n");
            Assert.False(process.HasExited, Text(output));
            await follow.WriteAsync("second");
            await WaitForAsync(output, "first\nsecond\n");
            Assert.False(process.HasExited);
            follow.Complete();
            using var exited = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(exited.Token);
            Assert.Equal(0, process.ExitCode);
        }
        finally
        {
            Processes.Kill(process);
            process.Dispose();
        }
    }

    [Fact]
    public async Task Follow_stops_at_the_kubelet_when_the_client_goes_away()
    {
        var ns = await NamespaceAsync(("left", fixture.NodeName, ["main"]));
        var follow = fixture.Kubelet.Follow(ns, "left", "main");
        var (process, output) = _k.Start($"-n {ns} logs -f left");
        try
        {
            await follow.WriteAsync("hello");
            await WaitForAsync(output, "hello\n");
        }
        finally
        {
            Processes.Kill(process);
            process.Dispose();
        }

        await fixture.Kubelet.FollowAborted.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Errors_are_kube_apiservers()
    {
        var node = fixture.NodeName;
        var ns = await NamespaceAsync(("two", node, ["a", "b"]), ("waits", node, ["waiting"]), ("lost", node, ["gone"]), ("pending", null, ["main"]), ("orphan", "ghost", ["main"]));

        var (code, body) = await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/two/log");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("a container name must be specified for pod two, choose one of: [a b]", body["message"]?.GetValue<string>());
        (code, body) = await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/two/log?container=nope");
        Assert.Equal(HttpStatusCode.BadRequest, code);
        Assert.Equal("container nope is not valid for pod two", body["message"]?.GetValue<string>());
        Assert.Contains("(NotFound): pods \"absent\" not found", (await _k.RunAsync($"-n {ns} logs absent")).Stderr);

        // Not on a node yet: an empty log, no error.
        Assert.Equal("", await _k.OkAsync($"-n {ns} logs pending"));
        Assert.Contains("Error from server (NotFound): nodes \"ghost\" not found", (await _k.RunAsync($"-n {ns} logs orphan")).Stderr);

        // The kubelet's refusals: 400 keeps its text, others get client-go's wording.
        Assert.Contains("Error from server (BadRequest): container \"waiting\" in pod \"waits\" is waiting to start: ContainerCreating", (await _k.RunAsync($"-n {ns} logs waits")).Stderr);
        Assert.Contains("Error from server (NotFound): the server could not find the requested resource ( pods/log lost)", (await _k.RunAsync($"-n {ns} logs lost")).Stderr);

        (code, body) = await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/two/log?container=a&tailLines=-1");
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("PodLogOptions \"two\" is invalid: tailLines: Invalid value: -1: must be greater than or equal to 0", body["message"]?.GetValue<string>());
        (code, body) = await _rest.GetAsync($"/api/v1/namespaces/{ns}/pods/two/log?container=a&sinceSeconds=5&sinceTime=2026-01-01T00:00:00Z");
        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("PodLogOptions \"two\" is invalid: : Forbidden: at most one of `sinceTime` or `sinceSeconds` may be specified", body["message"]?.GetValue<string>());
        (code, _) = await _rest.SendAsync(HttpMethod.Post, $"/api/v1/namespaces/{ns}/pods/two/log", "{}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, code);
    }

    private static string Text(System.Text.StringBuilder output)
    {
        lock (output)
        {
            return output.ToString();
        }
    }

    private static async Task WaitForAsync(System.Text.StringBuilder output, string text)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Text(output).Replace("\r", "", StringComparison.Ordinal).Contains(text, StringComparison.Ordinal))
        {
            Assert.True(DateTime.UtcNow < deadline, $"waited 10 s for {text.Trim()}; output so far:\n{Text(output)}");
            await Task.Delay(50);
        }
    }
}
