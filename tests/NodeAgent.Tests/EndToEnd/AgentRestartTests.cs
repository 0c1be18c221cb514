namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>An agent of its own ("restart-node"): a kill -9 of the agent and its restart; the pod-max-pids limit.</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class AgentRestartTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Fact]
    public async Task AnAgentKilledWithSigkillRunsItsPodsAgainWhenRestartedAndLeavesNoContainerBehind()
    {
        var ns = await NamespaceAsync();
        var agent = await NodeAgentProcess.StartAsync(Cluster.Api.Kubeconfig, "restart-node", "runc", null, "--pod-max-pids", "16");
        NodeAgentProcess? restarted = null;
        try
        {
            await ApplyAsync(ns, """
                apiVersion: v1
                kind: Pod
                metadata: {name: survivor}
                spec:
                  nodeName: restart-node
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: c, image: busybox, command: ["sh", "-c", "echo started; exec sleep 3600"]}
                """);
            var first = await WaitForAsync(ns, "survivor", "{.status.containerStatuses[0].containerID}", s => s.StartsWith("runc://", StringComparison.Ordinal));
            // --pod-max-pids reaches the container's pids cgroup.
            var uid = await K.OkAsync(["get", "pod", "survivor", "-n", ns, "-o", "jsonpath={.metadata.uid}"]);
            Assert.Equal("16", File.ReadAllText($"/sys/fs/cgroup/pids/kvcluster/pod{uid}/{first["runc://".Length..]}/pids.max").Trim());

            agent.Kill();
            restarted = await NodeAgentProcess.StartAsync(Cluster.Api.Kubeconfig, "restart-node", "runc", agent.RootDir);
            var second = await WaitForAsync(ns, "survivor", "{.status.containerStatuses[0].containerID}",
                s => s.StartsWith("runc://", StringComparison.Ordinal) && s != first);
            Assert.Equal("Running", await K.OkAsync(["get", "pod", "survivor", "-n", ns, "-o", "jsonpath={.status.phase}"]));
            var containers = await KvServer.Tests.Infra.Processes.RunAsync("runc", ["--root", Path.Combine(agent.RootDir, "runtime", "runc"), "list", "-q"]);
            var ids = containers.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(ids); // the new instance: the killed agent's containers are gone
            Assert.Contains(second["runc://".Length..], ids);
            await K.OkAsync($"delete pod survivor -n {ns}");
        }
        finally
        {
            if (restarted is not null)
            {
                await restarted.DisposeAsync();
            }
            else
            {
                await agent.DisposeAsync();
            }
        }
    }
}
