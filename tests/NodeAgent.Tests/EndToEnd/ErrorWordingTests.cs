namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>What kubectl prints when logs or exec name a container that is not running: the kubelet's words, as with Kubernetes.</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class ErrorWordingTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Fact]
    public async Task LogsAndExecOfAContainerThatIsNotRunningAreRefusedInTheKubeletsWords()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: stuck}
            spec:
              nodeName: runc-node
              containers:
              - {name: c, image: "registry.example/missing:1"}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: done}
            spec:
              nodeName: runc-node
              restartPolicy: Never
              containers:
              - {name: c, image: busybox, command: ["true"]}
            """);
        await WaitForAsync(ns, "stuck", "{.status.containerStatuses[0].state.waiting.reason}", r => r == "ImagePullBackOff");
        var logs = await K.RunAsync($"logs stuck -n {ns}");
        Assert.NotEqual(0, logs.ExitCode);
        Assert.Contains("Error from server (BadRequest): container \"c\" in pod \"stuck\" is waiting to start: trying and failing to pull image", logs.Stderr);

        await PhaseAsync(ns, "done", "Succeeded");
        var previous = await K.RunAsync($"logs done -n {ns} --previous");
        Assert.Contains("Error from server (BadRequest): previous terminated container \"c\" in pod \"done\" not found", previous.Stderr);
        // kubectl refuses a finished pod itself; a pod whose container has not started reaches the kubelet's check.
        Assert.Contains("cannot exec into a container in a completed pod", (await K.RunAsync($"exec done -n {ns} -- true")).Stderr);
        var exec = await K.RunAsync($"exec stuck -n {ns} -- true");
        Assert.NotEqual(0, exec.ExitCode);
        Assert.Contains("error: unable to upgrade connection: container not found (\"c\")", exec.Stderr);
    }
}
