namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>The CFS quota of limits.cpu, restartPolicy OnFailure after a success, and a pod on the host's network.</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class CpuRestartAndHostNetworkTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task ACpuLimitIsTheContainersCfsQuota(string runtime)
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: capped}
            spec:
              nodeName: {{Node(runtime)}}
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                command: ["sleep", "3600"]
                resources:
                  limits: {cpu: 500m}
            """);
        await WaitForAsync(ns, "capped", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
        var ids = await K.OkAsync(["get", "pod", "capped", "-n", ns, "-o", "jsonpath={.metadata.uid} {.status.containerStatuses[0].containerID}"]);
        var (uid, id) = (ids.Split(' ')[0], ids.Split(' ')[1].Split("://")[1]);
        // The container's cgroup, as the host sees it, and as the container sees it (its own cgroup mounted at /sys/fs/cgroup).
        Assert.Equal("50000\n", await K.OkAsync($"exec capped -n {ns} -- cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us"));
        var cgroup = $"/sys/fs/cgroup/cpu/kvcluster/pod{uid}/{id}";
        Assert.Equal("50000 100000 512", string.Join(' ', new[] { "cpu.cfs_quota_us", "cpu.cfs_period_us", "cpu.shares" }.Select(f => File.ReadAllText(Path.Combine(cgroup, f)).Trim())));
        // And the container's processes are in it.
        Assert.Matches($@"(^|\n)\d+:cpu:/kvcluster/pod{uid}/{id}\n", await K.OkAsync($"exec capped -n {ns} -- cat /proc/self/cgroup"));
        Assert.Equal("Burstable", await K.OkAsync(["get", "pod", "capped", "-n", ns, "-o", "jsonpath={.status.qosClass}"]));
        await K.OkAsync($"delete pod capped -n {ns} --wait=false");
    }

    [Fact]
    public async Task OnFailureDoesNotRestartAContainerThatSucceeded()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: once}
            spec:
              nodeName: runc-node
              restartPolicy: OnFailure
              containers:
              - {name: c, image: busybox, command: ["sh", "-c", "echo ran"]}
            """);
        await PhaseAsync(ns, "once", "Succeeded");
        await Task.Delay(1500);
        Assert.Equal("Succeeded 0 Completed 0", await K.OkAsync(["get", "pod", "once", "-n", ns, "-o",
            "jsonpath={.status.phase} {.status.containerStatuses[0].restartCount} {.status.containerStatuses[0].state.terminated.reason} {.status.containerStatuses[0].state.terminated.exitCode}"]));
        Assert.Equal("ran\n", await K.OkAsync($"logs once -n {ns}"));
        Assert.Contains("Completed", await K.OkAsync($"get pod once -n {ns}"));
    }

    [Fact]
    public async Task AHostNetworkPodSeesTheHostsInterfacesAndHasTheHostsIp()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: hostnet}
            spec:
              nodeName: runc-node
              hostNetwork: true
              restartPolicy: Never
              containers:
              - {name: c, image: busybox, command: ["sh", "-c", "ip -o link | cut -d: -f2 | tr -d ' '; echo; hostname"]}
            """);
        await PhaseAsync(ns, "hostnet", "Succeeded");
        var host = (await KvServer.Tests.Infra.Processes.RunAsync("sh", ["-c", "ip -o link | cut -d: -f2 | tr -d ' '; echo; hostname"])).Stdout;
        Assert.Contains("lo\n", host);
        Assert.NotEqual("lo\n", host.Split("\n\n")[0] + "\n");
        Assert.Equal(host, await K.OkAsync($"logs hostnet -n {ns}"));
        var ips = await K.OkAsync(["get", "pod", "hostnet", "-n", ns, "-o", "jsonpath={.status.podIP} {.status.hostIP} {.status.podIPs[0].ip}"]);
        var nodeIp = await K.OkAsync(["get", "node", "runc-node", "-o", "jsonpath={.status.addresses[?(@.type==\"InternalIP\")].address}"]);
        Assert.Equal($"{nodeIp} {nodeIp} {nodeIp}", ips);
        Assert.Contains(nodeIp, (await KvServer.Tests.Infra.Processes.RunAsync("ip", ["-o", "addr"])).Stdout);
    }
}
