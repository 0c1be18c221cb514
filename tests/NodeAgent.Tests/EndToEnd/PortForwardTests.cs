using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>
/// kubectl port-forward, end to end: kubectl 1.32 speaks SPDY/3.1 inside a WebSocket to the apiserver, which relays
/// it to the node agent; the agent connects to the port on the pod's own loopback.
/// </summary>
[Collection(NodeClusterCollection.Name)]
public sealed partial class PortForwardTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Fact]
    public async Task PortForwardCarriesConnectionsToThePodsLoopbackAndReportsAPortNothingListensOn()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: web}
            spec:
              nodeName: runc-node
              containers:
              - name: httpd
                image: busybox
                command: ["sh", "-c", "mkdir -p /www && echo hello-through-port-forward > /www/index.html && dd if=/dev/zero bs=1024 count=200 2>/dev/null | tr '\\0' x > /www/big && exec httpd -f -p 127.0.0.1:8080 -h /www"]
            """);
        await PhaseAsync(ns, "web", "Running");
        var (kubectl, output) = K.Start($"port-forward -n {ns} pod/web :8080 :9");
        try
        {
            var lines = await PollAsync(() => Task.FromResult(Text(output)), o => Forwarding().Matches(o).Count == 2, 30);
            var ports = Forwarding().Matches(lines).ToDictionary(m => m.Groups[2].Value, m => int.Parse(m.Groups[1].Value));
            Assert.True(ports.ContainsKey("8080") && ports.ContainsKey("9"), lines);

            // The server listens on the pod's 127.0.0.1 only: reached from inside the pod's network namespace.
            // Each request is its own connection (its own pair of streams); the big one spans many data frames.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
            http.DefaultRequestHeaders.ConnectionClose = true;
            Assert.Equal("hello-through-port-forward\n", await http.GetStringAsync($"http://127.0.0.1:{ports["8080"]}/index.html"));
            var big = await http.GetByteArrayAsync($"http://127.0.0.1:{ports["8080"]}/big");
            Assert.Equal(200 * 1024, big.Length);
            Assert.All(big, b => Assert.Equal((byte)'x', b));
            Assert.Equal("hello-through-port-forward\n", await http.GetStringAsync($"http://127.0.0.1:{ports["8080"]}/index.html"));

            // Nothing listens on the pod's port 9: the connection is closed and kubectl prints the kubelet's error.
            using (var tcp = new TcpClient())
            {
                await tcp.ConnectAsync("127.0.0.1", ports["9"]);
                using var read = new CancellationTokenSource(TimeSpan.FromSeconds(20));
                Assert.Equal(0, await tcp.GetStream().ReadAsync(new byte[16], read.Token));
            }

            var printed = await PollAsync(() => Task.FromResult(Text(output)), o => o.Contains("error forwarding port 9 to pod web", StringComparison.Ordinal), 20);
            Assert.Contains("error forwarding port 9 to pod web", printed);
            Assert.False(kubectl.HasExited, printed);
        }
        finally
        {
            kubectl.Kill();
            await kubectl.WaitForExitAsync();
        }
    }

    [GeneratedRegex(@"Forwarding from 127\.0\.0\.1:(\d+) -> (\d+)")]
    private static partial Regex Forwarding();
}
