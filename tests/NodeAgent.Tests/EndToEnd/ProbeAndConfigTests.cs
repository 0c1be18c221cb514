namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>Probes, and the environment and files a pod gets from ConfigMaps, Secrets and the downward API.</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class ProbeAndConfigTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Fact]
    public async Task AFailingExecLivenessProbeRestartsTheContainer()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: live}
            spec:
              nodeName: runc-node
              terminationGracePeriodSeconds: 2
              containers:
              - name: c
                image: busybox
                command: ["sh", "-c", "touch /tmp/healthy; sleep 3600"]
                livenessProbe:
                  exec: {command: ["cat", "/tmp/healthy"]}
                  periodSeconds: 1
                  failureThreshold: 2
            """);
        await WaitForAsync(ns, "live", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
        await Task.Delay(2500);
        Assert.Equal("0", await K.OkAsync(["get", "pod", "live", "-n", ns, "-o", "jsonpath={.status.containerStatuses[0].restartCount}"]));
        await K.OkAsync($"exec live -n {ns} -- rm /tmp/healthy");
        await WaitForAsync(ns, "live", "{.status.containerStatuses[0].restartCount}", n => n == "1");
        var events = await K.OkAsync($"get events -n {ns}");
        Assert.Contains("Liveness probe failed", events);
        Assert.Contains("Container c failed liveness probe, will be restarted", events);
        // The new instance has its file again (a fresh root filesystem) and stays up.
        await WaitForAsync(ns, "live", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
    }

    [Fact]
    public async Task AReadinessProbeGatesReady()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: gate}
            spec:
              nodeName: runc-node
              terminationGracePeriodSeconds: 1
              containers:
              - name: web
                image: busybox
                command: ["sh", "-c", "mkdir -p /www; exec httpd -f -p 8080 -h /www"]
                readinessProbe:
                  httpGet: {path: /index.html, port: 8080}
                  periodSeconds: 1
            """);
        await WaitForAsync(ns, "gate", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
        await Task.Delay(2000);
        Assert.Equal("false False", await K.OkAsync(["get", "pod", "gate", "-n", ns, "-o", "jsonpath={.status.containerStatuses[0].ready} {.status.conditions[?(@.type==\"Ready\")].status}"]));
        Assert.Contains("0/1", await K.OkAsync($"get pod gate -n {ns}"));
        await K.OkAsync(["exec", "gate", "-n", ns, "--", "sh", "-c", "echo ok > /www/index.html"]);
        await WaitForAsync(ns, "gate", "{.status.conditions[?(@.type==\"Ready\")].status}", s => s == "True");
        Assert.Contains("1/1", await K.OkAsync($"get pod gate -n {ns}"));
        Assert.Contains("Readiness probe failed: HTTP probe failed with statuscode: 404", await K.OkAsync($"get events -n {ns}"));
    }

    [Fact]
    public async Task EnvAndFilesComeFromAConfigMapASecretAndTheDownwardApi()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: settings}
            data: {greeting: hello, mode: fast}
            ---
            apiVersion: v1
            kind: Secret
            metadata: {name: creds}
            stringData: {password: s3cret}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: env, labels: {app: demo}}
            spec:
              nodeName: runc-node
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                command: ["sh", "-c", "echo $GREETING $PASSWORD $CFG_mode $POD $MEM $(EXPANDED); cat /etc/settings/greeting; echo; cat /etc/creds/password; echo; cat /etc/info/labels; echo; stat -c %a /etc/creds/..data/password"]
                env:
                - {name: GREETING, valueFrom: {configMapKeyRef: {name: settings, key: greeting}}}
                - {name: PASSWORD, valueFrom: {secretKeyRef: {name: creds, key: password}}}
                - {name: POD, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
                - {name: MEM, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
                - {name: EXPANDED, value: "pod-$(POD)"}
                envFrom: [{prefix: CFG_, configMapRef: {name: settings}}]
                resources:
                  limits: {memory: 64Mi}
                volumeMounts:
                - {name: settings, mountPath: /etc/settings}
                - {name: creds, mountPath: /etc/creds}
                - {name: info, mountPath: /etc/info}
              volumes:
              - {name: settings, configMap: {name: settings}}
              - {name: creds, secret: {secretName: creds, defaultMode: 0400}}
              - {name: info, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
            """);
        await PhaseAsync(ns, "env", "Succeeded");
        Assert.Equal("hello s3cret fast env 64 pod-env\nhello\ns3cret\napp=\"demo\"\n400\n", await K.OkAsync($"logs env -n {ns}"));
    }

    [Fact]
    public async Task AMissingConfigMapKeyIsCreateContainerConfigErrorUntilItExists()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: waits}
            spec:
              nodeName: runc-node
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                command: ["sh", "-c", "echo got $VALUE"]
                env:
                - {name: VALUE, valueFrom: {configMapKeyRef: {name: late, key: value}}}
            """);
        var message = await WaitForAsync(ns, "waits", "{.status.containerStatuses[0].state.waiting.reason}: {.status.containerStatuses[0].state.waiting.message}",
            s => s.StartsWith("CreateContainerConfigError", StringComparison.Ordinal));
        Assert.Equal("CreateContainerConfigError: configmap \"late\" not found", message);
        await K.OkAsync($"create configmap late -n {ns} --from-literal=other=1");
        await WaitForAsync(ns, "waits", "{.status.containerStatuses[0].state.waiting.message}", s => s == $"couldn't find key value in ConfigMap {ns}/late");
        await K.OkAsync(["patch", "configmap", "late", "-n", ns, "-p", "{\"data\":{\"value\":\"now\"}}"]);
        await PhaseAsync(ns, "waits", "Succeeded");
        Assert.Equal("got now\n", await K.OkAsync($"logs waits -n {ns}"));
    }
}
