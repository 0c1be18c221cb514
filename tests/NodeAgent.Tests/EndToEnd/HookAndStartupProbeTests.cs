namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>preStop hooks (exec and httpGet) before SIGTERM, and a startup probe holding back liveness and readiness.</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class HookAndStartupProbeTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Fact]
    public async Task PreStopRunsBeforeSigtermAsAnExecAndAsAnHttpGet()
    {
        var ns = await NamespaceAsync();
        var outDir = Directory.CreateTempSubdirectory("nodeagent-hooks-");
        try
        {
            // The hooks and the main processes write to a host directory, so what ran, and in which order, outlives the pods.
            await ApplyAsync(ns, $$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: hooks}
                spec:
                  nodeName: runc-node
                  terminationGracePeriodSeconds: 10
                  containers:
                  - name: c
                    image: busybox
                    command: ["sh", "-c", "trap 'echo sigterm >> /out/exec; exit 0' TERM; touch /tmp/ready; while true; do sleep 0.1; done"]
                    readinessProbe: {exec: {command: ["cat", "/tmp/ready"]}, periodSeconds: 1}
                    lifecycle:
                      preStop: {exec: {command: ["sh", "-c", "echo pre-stop >> /out/exec"]} }
                    volumeMounts: [{name: out, mountPath: /out}]
                  volumes:
                  - {name: out, hostPath: {path: "{{outDir.FullName}}", type: Directory} }
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: web}
                spec:
                  nodeName: runc-node
                  terminationGracePeriodSeconds: 10
                  containers:
                  - name: c
                    image: busybox
                    command: ["sh", "-c", "mkdir -p /www/cgi-bin; printf '#!/bin/sh\\necho pre-stop-http >> /out/http\\necho Content-Type: text/plain\\necho\\necho ok\\n' > /www/cgi-bin/stop; chmod +x /www/cgi-bin/stop; trap 'echo sigterm >> /out/http; exit 0' TERM; httpd -p 8080 -h /www; while true; do sleep 0.1; done"]
                    readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
                    lifecycle:
                      preStop: {httpGet: {path: /cgi-bin/stop, port: 8080} }
                    volumeMounts: [{name: out, mountPath: /out}]
                  volumes:
                  - {name: out, hostPath: {path: "{{outDir.FullName}}", type: Directory} }
                """);
            // Ready once the trap is set (and, for web, the CGI script written and httpd listening).
            await WaitForAsync(ns, "hooks", "{.status.containerStatuses[0].ready}", s => s == "true");
            await WaitForAsync(ns, "web", "{.status.containerStatuses[0].ready}", s => s == "true");

            await K.OkAsync($"delete pod hooks web -n {ns}");
            Assert.Equal("pre-stop\nsigterm\n", await File.ReadAllTextAsync(Path.Combine(outDir.FullName, "exec")));
            Assert.Equal("pre-stop-http\nsigterm\n", await File.ReadAllTextAsync(Path.Combine(outDir.FullName, "http")));
            Assert.Contains("Stopping container c", await K.OkAsync($"get events -n {ns}"));
        }
        finally
        {
            outDir.Delete(true);
        }
    }

    [Fact]
    public async Task APostStartHookRunsBesideTheMainProcess()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: post}
            spec:
              nodeName: runc-node
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                command: ["sh", "-c", "while [ ! -f /tmp/post ]; do sleep 0.05; done; cat /tmp/post; exec sleep 3600"]
                lifecycle:
                  postStart:
                    exec: {command: ["sh", "-c", "echo from-post-start > /tmp/post"]}
            """);
        await WaitForAsync(ns, "post", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
        var logs = await PollAsync(() => StdoutAsync("logs", "post", "-n", ns), s => s == "from-post-start\n");
        Assert.Equal("from-post-start\n", logs);
        Assert.Equal("0", await K.OkAsync(["get", "pod", "post", "-n", ns, "-o", "jsonpath={.status.containerStatuses[0].restartCount}"]));
        Assert.DoesNotContain("FailedPostStartHook", await K.OkAsync($"get events -n {ns}"));
        await K.OkAsync($"delete pod post -n {ns} --wait=false");
    }

    [Fact]
    public async Task AStartupProbeHoldsBackLivenessAndReadinessUntilItSucceeds()
    {
        var ns = await NamespaceAsync();
        // Liveness fails (after one failure) until /tmp/started exists: were it probed before startup succeeded,
        // the container would restart; readiness always succeeds: were it probed, the container would be Ready.
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: slow}
            spec:
              nodeName: runc-node
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                command: ["sleep", "3600"]
                startupProbe:
                  exec: {command: ["cat", "/tmp/started"]}
                  periodSeconds: 1
                  failureThreshold: 60
                livenessProbe:
                  exec: {command: ["cat", "/tmp/started"]}
                  periodSeconds: 1
                  failureThreshold: 1
                readinessProbe:
                  exec: {command: ["true"]}
                  periodSeconds: 1
            """);
        const string State = "{.status.containerStatuses[0].started} {.status.containerStatuses[0].ready} {.status.containerStatuses[0].restartCount}";
        await WaitForAsync(ns, "slow", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
        await Task.Delay(2500);
        Assert.Equal("false false 0", await K.OkAsync(["get", "pod", "slow", "-n", ns, "-o", $"jsonpath={State}"]));
        Assert.Contains("0/1", await K.OkAsync($"get pod slow -n {ns}"));

        await K.OkAsync($"exec slow -n {ns} -- touch /tmp/started");
        await WaitForAsync(ns, "slow", State, s => s == "true true 0", seconds: 10);
        await Task.Delay(1500);
        Assert.Equal("true true 0", await K.OkAsync(["get", "pod", "slow", "-n", ns, "-o", $"jsonpath={State}"]));
        Assert.Contains("Startup probe failed", await K.OkAsync($"get events -n {ns}"));
        await K.OkAsync($"delete pod slow -n {ns} --wait=false");
    }
}
