using System.Diagnostics;

namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>Graceful deletion (SIGTERM, grace period, SIGKILL), kubectl logs -f and --previous, kubectl exec.</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class TerminationAndStreamsTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Fact]
    public async Task DeletionSendsSigtermAndAProcessIgnoringItIsKilledAfterTheGracePeriod()
    {
        var ns = await NamespaceAsync();
        var outDir = Directory.CreateTempSubdirectory("nodeagent-term-");
        try
        {
            await ApplyAsync(ns, $$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: polite}
                spec:
                  nodeName: runc-node
                  terminationGracePeriodSeconds: 20
                  containers:
                  - name: c
                    image: busybox
                    command: ["sh", "-c", "trap 'echo got-sigterm > /out/term; exit 0' TERM; while true; do sleep 0.1; done"]
                    volumeMounts:
                    - {name: out, mountPath: /out}
                  volumes:
                  - name: out
                    hostPath: {path: "{{outDir.FullName}}", type: Directory}
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: stubborn}
                spec:
                  nodeName: runc-node
                  terminationGracePeriodSeconds: 3
                  containers:
                  - name: c
                    image: busybox
                    command: ["sh", "-c", "trap '' TERM; while true; do sleep 0.1; done"]
                """);
            await WaitForAsync(ns, "polite", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
            await WaitForAsync(ns, "stubborn", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
            await Task.Delay(500);

            var sw = Stopwatch.StartNew();
            await K.OkAsync($"delete pod polite -n {ns}");
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(10), $"a pod that exits on SIGTERM took {sw.Elapsed} to delete (grace 20 s)");
            Assert.Equal("got-sigterm\n", await File.ReadAllTextAsync(Path.Combine(outDir.FullName, "term")));

            sw.Restart();
            await K.OkAsync($"delete pod stubborn -n {ns}");
            Assert.InRange(sw.Elapsed, TimeSpan.FromSeconds(2.5), TimeSpan.FromSeconds(12));
            Assert.Contains("NotFound", (await K.RunAsync($"get pod stubborn -n {ns}")).Stderr);
        }
        finally
        {
            outDir.Delete(true);
        }
    }

    [Fact]
    public async Task LogsFollowShowsLinesAsTheyComeAndPreviousShowsTheLastInstance()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: ticker}
            spec:
              nodeName: runc-node
              restartPolicy: OnFailure
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                command: ["sh", "-c", "if [ -f /restarted ]; then :; fi; for i in 1 2 3 4 5 6; do echo tick $i; sleep 0.5; done; exit 1"]
            """);
        await WaitForAsync(ns, "ticker", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
        var (follow, output) = K.Start($"logs -f ticker -n {ns}");
        try
        {
            var sw = Stopwatch.StartNew();
            while (!Text(output).Contains("tick 2", StringComparison.Ordinal) && sw.Elapsed < TimeSpan.FromSeconds(10))
            {
                await Task.Delay(50);
            }

            Assert.Contains("tick 1\ntick 2", Text(output));
            Assert.False(follow.HasExited, "kubectl logs -f ended while the container still runs");
            Assert.DoesNotContain("tick 6", Text(output));
            await follow.WaitForExitAsync(new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token);
            Assert.Contains("tick 6", Text(output));
        }
        finally
        {
            KvServer.Tests.Infra.Processes.Kill(follow);
        }

        await WaitForAsync(ns, "ticker", "{.status.containerStatuses[0].restartCount}", n => n == "1");
        var previous = await K.OkAsync($"logs ticker -n {ns} --previous");
        Assert.Equal("tick 1\ntick 2\ntick 3\ntick 4\ntick 5\ntick 6\n", previous);
        await K.OkAsync($"delete pod ticker -n {ns} --wait=false");
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task ExecRunsInTheContainerFeedsStdinAndPropagatesTheExitCode(string runtime)
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: shell}
            spec:
              nodeName: {{Node(runtime)}}
              terminationGracePeriodSeconds: 1
              containers:
              - {name: c, image: busybox, command: ["sh", "-c", "echo inside > /tmp/mark; exec sleep 3600"]}
            """);
        await WaitForAsync(ns, "shell", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
        Assert.Equal("inside\n", await K.OkAsync($"exec shell -n {ns} -- cat /tmp/mark"));
        var failed = await K.RunAsync(["exec", "shell", "-n", ns, "--", "sh", "-c", "echo out; echo err >&2; exit 7"]);
        Assert.Equal(7, failed.ExitCode);
        Assert.Equal("out\n", failed.Stdout);
        Assert.Contains("err", failed.Stderr);
        var piped = await K.RunAsync(["exec", "-i", "shell", "-n", ns, "--", "sh", "-c", "tr a-z A-Z"], stdin: "from stdin\n");
        Assert.Equal(0, piped.ExitCode);
        Assert.Equal("FROM STDIN\n", piped.Stdout);
        await K.OkAsync($"delete pod shell -n {ns} --wait=false");
    }
}
