using System.Diagnostics;

namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>Pods run for real (runc, crun, busybox), driven and observed only through kubectl, as a user would.</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class PodLifecycleTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task APodThatPrintsAndExitsSucceedsAndItsLogsMatch(string runtime)
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: hello}
            spec:
              nodeName: {{Node(runtime)}}
              restartPolicy: Never
              containers:
              - {name: c, image: busybox, command: ["sh", "-c", "echo hello from $(hostname); sleep 0.1; echo to stderr >&2"]}
            """);
        await PhaseAsync(ns, "hello", "Succeeded");
        Assert.Equal("hello from hello\nto stderr\n", await K.OkAsync($"logs hello -n {ns}"));
        var terminated = await K.OkAsync(["get", "pod", "hello", "-n", ns, "-o", "jsonpath={.status.containerStatuses[0].state.terminated.reason} {.status.containerStatuses[0].state.terminated.exitCode} {.status.containerStatuses[0].containerID}"]);
        Assert.StartsWith($"Completed 0 {runtime}://", terminated);
        var timestamps = await K.OkAsync($"logs hello -n {ns} --timestamps");
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z hello from hello\n", timestamps);
        Assert.Contains("Completed", await K.OkAsync($"get pod hello -n {ns}"));
    }

    [Fact]
    public async Task ACrashLoopingPodRestartsWithBackOff()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: crash}
            spec:
              nodeName: runc-node
              containers:
              - {name: c, image: busybox, command: ["sh", "-c", "echo attempt; exit 3"]}
            """);
        await WaitForAsync(ns, "crash", "{.status.containerStatuses[0].restartCount}", n => n == "1");
        var waiting = await WaitForAsync(ns, "crash", "{.status.containerStatuses[0].state.waiting.reason}", r => r == "CrashLoopBackOff");
        Assert.Equal("CrashLoopBackOff", waiting);
        var sw = Stopwatch.StartNew();
        await WaitForAsync(ns, "crash", "{.status.containerStatuses[0].restartCount}", n => n == "2", seconds: 40);
        // The second restart waits the first back-off step (10 s), not less.
        Assert.True(sw.Elapsed > TimeSpan.FromSeconds(7), $"restarted after {sw.Elapsed}");
        var last = await K.OkAsync(["get", "pod", "crash", "-n", ns, "-o", "jsonpath={.status.containerStatuses[0].lastState.terminated.exitCode} {.status.containerStatuses[0].lastState.terminated.reason} {.status.phase}"]);
        Assert.Equal("3 Error Running", last);
        Assert.Contains("Back-off restarting failed container c", await K.OkAsync($"get events -n {ns}"));
    }

    [Fact]
    public async Task InitContainersRunInOrderAndAnEmptyDirIsSharedByTwoContainers()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: shared}
            spec:
              nodeName: runc-node
              restartPolicy: Never
              initContainers:
              - {name: first, image: busybox, command: ["sh", "-c", "sleep 0.3; echo first >> /data/order"], volumeMounts: [{name: data, mountPath: /data}]}
              - {name: second, image: busybox, command: ["sh", "-c", "echo second >> /data/order"], volumeMounts: [{name: data, mountPath: /data}]}
              containers:
              - {name: writer, image: busybox, command: ["sh", "-c", "echo from-writer > /data/msg"], volumeMounts: [{name: data, mountPath: /data}]}
              - {name: reader, image: busybox, command: ["sh", "-c", "for i in $(seq 50); do [ -f /data/msg ] && break; sleep 0.1; done; cat /data/order /data/msg"], volumeMounts: [{name: data, mountPath: /data}]}
              volumes:
              - {name: data, emptyDir: {}}
            """);
        await PhaseAsync(ns, "shared", "Succeeded");
        Assert.Equal("first\nsecond\nfrom-writer\n", await K.OkAsync($"logs shared -n {ns} -c reader"));
        var init = await K.OkAsync(["get", "pod", "shared", "-n", ns, "-o", "jsonpath={.status.initContainerStatuses[*].state.terminated.reason}"]);
        Assert.Equal("Completed Completed", init);
    }

    [Theory]
    [InlineData("runc")]
    [InlineData("crun")]
    public async Task ExceedingTheMemoryLimitIsOOMKilled(string runtime)
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, $$"""
            apiVersion: v1
            kind: Pod
            metadata: {name: hog}
            spec:
              nodeName: {{Node(runtime)}}
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                command: ["sh", "-c", "x=a; while true; do x=$x$x; done"]
                resources:
                  limits: {memory: 20Mi}
            """);
        await PhaseAsync(ns, "hog", "Failed");
        var terminated = await K.OkAsync(["get", "pod", "hog", "-n", ns, "-o", "jsonpath={.status.containerStatuses[0].state.terminated.reason} {.status.containerStatuses[0].state.terminated.exitCode} {.status.qosClass}"]);
        Assert.Equal("OOMKilled 137 Burstable", terminated);
    }

    [Fact]
    public async Task AMissingImageGoesToImagePullBackOffWithAHowToImportMessage()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: noimage}
            spec:
              nodeName: runc-node
              containers:
              - {name: c, image: "registry.example/app:1.0"}
            """);
        await WaitForAsync(ns, "noimage", "{.status.containerStatuses[0].state.waiting.reason}", r => r == "ImagePullBackOff");
        Assert.Contains("ImagePullBackOff", await K.OkAsync($"get pod noimage -n {ns}"));
        var events = await K.OkAsync($"get events -n {ns}");
        Assert.Contains("Failed to pull image \"registry.example/app:1.0\"", events);
        Assert.Contains("nodeagent image import", events);
        Assert.Equal("Pending", await K.OkAsync(["get", "pod", "noimage", "-n", ns, "-o", "jsonpath={.status.phase}"]));
    }
}
