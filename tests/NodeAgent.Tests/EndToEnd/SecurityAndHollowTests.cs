namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>securityContext as the container sees it, and pods on a hollow node (simulated containers).</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class SecurityAndHollowTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Fact]
    public async Task SecurityContextSetsTheUserTheReadOnlyRootAndTheCapabilities()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: locked}
            spec:
              nodeName: runc-node
              restartPolicy: Never
              securityContext: {runAsUser: 1234, runAsGroup: 2345}
              containers:
              - name: c
                image: busybox
                command: ["sh", "-c", "id -u; id -g; touch /file 2>/dev/null && echo writable || echo read-only; grep CapEff /proc/self/status"]
                securityContext:
                  readOnlyRootFilesystem: true
                  capabilities: {drop: [ALL]}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: root}
            spec:
              nodeName: runc-node
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                command: ["true"]
                securityContext: {runAsNonRoot: true}
            """);
        await PhaseAsync(ns, "locked", "Succeeded");
        Assert.Equal("1234\n2345\nread-only\nCapEff:\t0000000000000000\n", await K.OkAsync($"logs locked -n {ns}"));
        var refused = await WaitForAsync(ns, "root", "{.status.containerStatuses[0].state.waiting.reason}: {.status.containerStatuses[0].state.waiting.message}",
            s => s.StartsWith("CreateContainerConfigError", StringComparison.Ordinal));
        Assert.StartsWith("CreateContainerConfigError: container has runAsNonRoot and image will run as root (pod: \"root_", refused);
    }

    [Fact]
    public async Task AHollowNodeRunsPodsWithoutProcesses()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: sim}
            spec:
              nodeName: hollow-node
              containers:
              - {name: app, image: "example.com/any/image:1", command: ["serve", "--port=80"]}
            """);
        await WaitForAsync(ns, "sim", "{.status.conditions[?(@.type==\"Ready\")].status}", s => s == "True");
        Assert.StartsWith("hollow://", await K.OkAsync(["get", "pod", "sim", "-n", ns, "-o", "jsonpath={.status.containerStatuses[0].containerID}"]));
        Assert.Equal("hollow container app: serve --port=80\n", await K.OkAsync($"logs sim -n {ns}"));
        Assert.Contains("hollow://", await K.OkAsync("get node hollow-node -o jsonpath={.status.nodeInfo.containerRuntimeVersion}"));
        await K.OkAsync($"delete pod sim -n {ns}");
        Assert.Contains("NotFound", (await K.RunAsync($"get pod sim -n {ns}")).Stderr);
    }

    [Fact]
    public async Task TheNodeIsRegisteredWithCapacityAndRenewsItsLease()
    {
        var node = await K.OkAsync(["get", "node", "runc-node", "-o",
            "jsonpath={.metadata.labels.kubernetes\\.io/hostname} {.metadata.labels.kubernetes\\.io/os} {.status.conditions[?(@.type==\"Ready\")].reason} {.status.allocatable.pods} {.status.nodeInfo.kubeletVersion} {.status.addresses[0].type}"]);
        Assert.Equal("runc-node linux KubeletReady 110 v1.32.0 InternalIP", node);
        Assert.Matches(@"^\d+$", await K.OkAsync("get node runc-node -o jsonpath={.status.capacity.cpu}"));
        var first = await K.OkAsync("get lease runc-node -n kube-node-lease -o jsonpath={.spec.holderIdentity},{.spec.leaseDurationSeconds},{.spec.renewTime}");
        Assert.StartsWith("runc-node,40,", first);
        var deadline = DateTime.UtcNow.AddSeconds(25);
        string later;
        do
        {
            await Task.Delay(1000);
            later = await K.OkAsync("get lease runc-node -n kube-node-lease -o jsonpath={.spec.holderIdentity},{.spec.leaseDurationSeconds},{.spec.renewTime}");
        }
        while (later == first && DateTime.UtcNow < deadline);
        Assert.NotEqual(first, later);
    }
}
