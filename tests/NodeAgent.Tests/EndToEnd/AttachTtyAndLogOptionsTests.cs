using System.Diagnostics;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>kubectl exec -it (a terminal on kubectl's side through util-linux script), kubectl attach, and kubectl logs' options.</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class AttachTtyAndLogOptionsTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Fact]
    public async Task ExecWithATtyGetsAPtyOfKubectlsTerminalSizeAndTheExitCode()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: term}
            spec:
              nodeName: runc-node
              terminationGracePeriodSeconds: 1
              containers:
              - {name: c, image: busybox, command: ["sleep", "3600"]}
            """);
        await WaitForAsync(ns, "term", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);

        // The first output waits a little: runc doubles the line endings of what it relays before its terminal is raw.
        var sized = await InTerminalAsync($"exec -it term -n {ns} -- sh -c 'sleep 0.3; tty; stty size'");
        Assert.True(sized.ExitCode == 0, sized.ToString());
        Assert.Matches(@"^/dev/pts/\d+\r\n33 111\r\n$", sized.Stdout);

        var failed = await InTerminalAsync($"exec -it term -n {ns} -- sh -c 'exit 3'");
        Assert.True(failed.ExitCode == 3, failed.ToString());
        await K.OkAsync($"delete pod term -n {ns} --wait=false");
    }

    [Fact]
    public async Task AttachFeedsAStdinContainerAndShowsWhatAContainerPrints()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: echo}
            spec:
              nodeName: runc-node
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                stdin: true
                stdinOnce: true
                command: ["sh", "-c", "while read l; do echo got $l; done; echo stdin closed"]
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: printer}
            spec:
              nodeName: runc-node
              terminationGracePeriodSeconds: 1
              containers:
              - {name: c, image: busybox, command: ["sh", "-c", "i=0; while true; do i=$((i+1)); echo line $i; sleep 0.2; done"]}
            """);
        await WaitForAsync(ns, "echo", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
        await WaitForAsync(ns, "printer", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);

        // stdinOnce: the container's stdin closes when the attach that fed it ends, so the loop ends and the pod completes.
        var fed = await K.RunAsync(["attach", "-i", "echo", "-n", ns, "-c", "c"], stdin: "one\ntwo\n", timeout: TimeSpan.FromSeconds(15));
        Assert.True(fed.ExitCode == 0, fed.ToString());
        Assert.Equal("got one\ngot two\nstdin closed\n", fed.Stdout);
        await PhaseAsync(ns, "echo", "Succeeded", seconds: 10);

        var (attach, output) = K.Start($"attach printer -n {ns}");
        try
        {
            var seen = await PollAsync(() => Task.FromResult(Text(output)), s => System.Text.RegularExpressions.Regex.Matches(s, "line ").Count >= 3, seconds: 10);
            Assert.Matches(@"line (\d+)\nline \d+\nline \d+\n", seen);
            Assert.False(attach.HasExited, "kubectl attach ended while the container still runs");
        }
        finally
        {
            Processes.Kill(attach);
        }

        await K.OkAsync($"delete pod printer -n {ns} --wait=false");
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task AttachWithATtyToAContainerWithATerminalResizesItAndCarriesTheShell(string runtime)
    {
        // tty: true (as kubectl run -it makes): the container's shell runs on a terminal, kubectl attach -it types into it
        // and its size becomes kubectl's. The sleep lets the runtime apply the resize before stty reads it.
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: shell}
            spec:
              nodeName: NODE
              restartPolicy: Never
              terminationGracePeriodSeconds: 1
              containers:
              - {name: c, image: busybox, stdin: true, tty: true, command: ["sh"]}
            """.Replace("NODE", Node(runtime)));
        await WaitForAsync(ns, "shell", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);

        var attached = await InTerminalAsync($"attach -it shell -n {ns}", "sleep 1; tty; stty size; exit 4\n");
        Assert.True(attached.ExitCode == 0, attached.ToString());
        Assert.True(System.Text.RegularExpressions.Regex.IsMatch(attached.Stdout, @"/dev/pts/\d+\r\n33 111\r\n"), attached.ToString());
        Assert.Equal("4", await WaitForAsync(ns, "shell", "{.status.containerStatuses[0].state.terminated.exitCode}", s => s.Length > 0));

        // What the terminal showed is the container's log, stdout and stderr alike.
        Assert.Contains("33 111", await K.OkAsync($"logs shell -n {ns}"));
    }

    [Fact]
    public async Task LogsTailSinceLimitBytesAndContainerSelection()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: two}
            spec:
              nodeName: runc-node
              terminationGracePeriodSeconds: 1
              containers:
              - {name: first, image: busybox, command: ["sh", "-c", "echo line 1; echo line 2; echo line 3; sleep 2.5; echo line 4; exec sleep 3600"]}
              - {name: second, image: busybox, command: ["sh", "-c", "echo from second; exec sleep 3600"]}
            """);
        var all = await PollAsync(() => StdoutAsync("logs", "two", "-n", ns, "-c", "first"), s => s.Contains("line 4", StringComparison.Ordinal));
        // Lines 1-3 are 2.5 s older than line 4.
        Assert.Equal("line 4\n", await K.OkAsync($"logs two -n {ns} -c first --since=2s"));
        Assert.Equal("line 1\nline 2\nline 3\nline 4\n", all);
        Assert.Equal("line 3\nline 4\n", await K.OkAsync($"logs two -n {ns} -c first --tail=2"));
        Assert.Equal(all, await K.OkAsync($"logs two -n {ns} -c first --since=1h"));
        Assert.Equal("line ", await K.OkAsync($"logs two -n {ns} -c first --limit-bytes=5"));
        Assert.Equal("from second\n", await PollAsync(() => StdoutAsync("logs", "two", "-n", ns, "-c", "second"), s => s.Length > 0));

        var defaulted = await K.RunAsync($"logs two -n {ns}");
        Assert.Equal(0, defaulted.ExitCode);
        Assert.Equal(all, defaulted.Stdout);
        Assert.Contains("Defaulted container \"first\" out of: first, second", defaulted.Stderr);
        await K.OkAsync($"delete pod two -n {ns} --wait=false");
    }

    /// <summary>
    /// kubectl in a terminal of 33 rows and 111 columns (util-linux script gives it a pty; kubectl exec -t needs one).
    /// script's stdin stays open: at its end script would type EOF characters into the terminal, which kubectl forwards.
    /// </summary>
    private Task<Processes.Result> InTerminalAsync(string kubectlArgs, string? typed = null) =>
        Processes.RunAsync("script", ["-qec", $"stty rows 33 cols 111; /usr/bin/kubectl --kubeconfig {Cluster.Api.Kubeconfig} {kubectlArgs}", "/dev/null"], typed, timeout: TimeSpan.FromSeconds(20), keepStdinOpen: true);
}
