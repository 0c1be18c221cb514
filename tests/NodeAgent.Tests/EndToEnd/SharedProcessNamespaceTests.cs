namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>
/// shareProcessNamespace: the pod's containers see each other's processes, under a pause process as PID 1
/// (as the kubelet's pause container); without it each container is alone in its PID namespace.
/// </summary>
[Collection(NodeClusterCollection.Name)]
public sealed class SharedProcessNamespaceTests(NodeCluster cluster) : PodTestBase(cluster)
{
    private const string PauseMarker = "sleep 2147483647 & wait";

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task ContainersOfAPodThatSharesItsProcessNamespaceSeeEachOthersProcesses(string runtime)
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, Pod("shared", runtime, share: true));
        await ApplyAsync(ns, Pod("alone", runtime, share: false));
        await WaitForAsync(ns, "shared", "{.status.containerStatuses[?(@.name==\"looker\")].state.terminated.reason}", r => r.Length > 0);
        await WaitForAsync(ns, "alone", "{.status.containerStatuses[?(@.name==\"looker\")].state.terminated.reason}", r => r.Length > 0);

        // Shared: the sleeper's process is there, and PID 1 is the pause process, not a container's.
        var shared = await K.OkAsync($"logs shared -n {ns} -c looker");
        Assert.Contains("sleep 7777", shared);
        var pid1 = shared.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith("1 ", StringComparison.Ordinal));
        Assert.NotNull(pid1);
        Assert.Contains(PauseMarker, pid1);

        // Alone: the looker is PID 1 of its own namespace and sees nothing of the sleeper.
        var alone = await K.OkAsync($"logs alone -n {ns} -c looker");
        Assert.DoesNotContain("sleep 7777", alone);
        Assert.Contains("looker-was-here", alone.Split('\n').Select(l => l.Trim()).First(l => l.StartsWith("1 ", StringComparison.Ordinal)));

        // Deleting the pod stops the pause container too: no such process is left on the host.
        Assert.Single(PauseProcesses());
        await K.OkAsync($"delete pod shared alone -n {ns} --wait=true --timeout=60s");
        var left = await PollAsync(() => Task.FromResult(PauseProcesses().Count.ToString()), n => n == "0");
        Assert.Equal("0", left);
    }

    private static string Pod(string name, string runtime, bool share) => $$"""
        apiVersion: v1
        kind: Pod
        metadata: {name: {{name}}}
        spec:
          nodeName: {{Node(runtime)}}
          restartPolicy: Never
          shareProcessNamespace: {{(share ? "true" : "false")}}
          terminationGracePeriodSeconds: 5
          containers:
          - {name: sleeper, image: busybox, command: ["sleep", "7777"]}
          - name: looker
            image: busybox
            command: ["sh", "-c", "for i in $(seq 30); do ps -o pid,args | grep -q '[s]leep 7777' && break; sleep 0.1; done; ps -o pid,args; : looker-was-here"]
        """;

    /// <summary>Host processes running the pause script (PID 1 of a shared PID namespace).</summary>
    private static List<int> PauseProcesses()
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid))
            {
                continue;
            }

            try
            {
                var cmdline = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (cmdline.StartsWith("/bin/sh -c ", StringComparison.Ordinal) && cmdline.Contains(PauseMarker, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
                // The process ended meanwhile.
            }
        }

        return found;
    }
}
