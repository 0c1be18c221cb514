namespace KvCluster.NodeAgent.Tests.EndToEnd;

/// <summary>Volumes as a container sees them: a memory emptyDir, hostPath types, a claim on a hostPath PersistentVolume, ConfigMap updates, subPath and readOnly.</summary>
[Collection(NodeClusterCollection.Name)]
public sealed class VolumeTests(NodeCluster cluster) : PodTestBase(cluster)
{
    [Fact]
    public async Task AnEmptyDirWithMediumMemoryIsATmpfsOfItsSizeLimit()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: mem}
            spec:
              nodeName: runc-node
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                command: ["sh", "-c", "grep ' /cache ' /proc/mounts | cut -d' ' -f1-3; df -k /cache | tail -1 | awk '{print $2}'; dd if=/dev/zero of=/cache/big bs=1M count=20 2>&1 | grep -o 'No space left on device'"]
                volumeMounts: [{name: cache, mountPath: /cache}]
              volumes:
              - {name: cache, emptyDir: {medium: Memory, sizeLimit: 8Mi}}
            """);
        await PhaseAsync(ns, "mem", "Succeeded");
        Assert.Equal("tmpfs /cache tmpfs\n8192\nNo space left on device\n", await K.OkAsync($"logs mem -n {ns}"));
    }

    [Fact]
    public async Task AHostPathOfTypeDirectoryMustExistAndDirectoryOrCreateMakesIt()
    {
        var ns = await NamespaceAsync();
        var host = Directory.CreateTempSubdirectory("nodeagent-hostpath-");
        try
        {
            var missing = Path.Combine(host.FullName, "missing");
            var made = Path.Combine(host.FullName, "made", "deeper");
            await ApplyAsync(ns, $$"""
                apiVersion: v1
                kind: Pod
                metadata: {name: strict}
                spec:
                  nodeName: runc-node
                  terminationGracePeriodSeconds: 1
                  containers:
                  - {name: c, image: busybox, command: ["true"], volumeMounts: [{name: data, mountPath: /data}]}
                  volumes:
                  - {name: data, hostPath: {path: "{{missing}}", type: Directory} }
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: creates}
                spec:
                  nodeName: runc-node
                  restartPolicy: Never
                  containers:
                  - {name: c, image: busybox, command: ["sh", "-c", "echo from-pod > /data/file"], volumeMounts: [{name: data, mountPath: /data}]}
                  volumes:
                  - {name: data, hostPath: {path: "{{made}}", type: DirectoryOrCreate} }
                """);
            await PhaseAsync(ns, "creates", "Succeeded");
            Assert.Equal("from-pod\n", await File.ReadAllTextAsync(Path.Combine(made, "file")));

            var events = await PollAsync(() => StdoutAsync("get", "events", "-n", ns, "--field-selector", "involvedObject.name=strict"), e => e.Contains("FailedMount", StringComparison.Ordinal));
            Assert.Contains($"MountVolume.SetUp failed for volume \"data\" : hostPath type check failed: {missing} is not a directory", events);
            Assert.Equal("Pending ContainerCreating", await K.OkAsync(["get", "pod", "strict", "-n", ns, "-o", "jsonpath={.status.phase} {.status.containerStatuses[0].state.waiting.reason}"]));
            Assert.Contains("ContainerCreating", await K.OkAsync($"get pod strict -n {ns}"));
            Assert.False(Directory.Exists(missing));
            await K.OkAsync($"delete pod strict -n {ns}");
        }
        finally
        {
            host.Delete(true);
        }
    }

    [Fact]
    public async Task AClaimOnAHostPathPersistentVolumeIsMountedOnceBound()
    {
        var ns = await NamespaceAsync();
        var host = Directory.CreateTempSubdirectory("nodeagent-pv-");
        var pv = $"pv-{ns}";
        try
        {
            await File.WriteAllTextAsync(Path.Combine(host.FullName, "seed"), "from-host\n");
            // No PV controller binds claims here: the claim names its volume, and its status says Bound only once patched.
            await K.OkAsync("apply -f -", $$"""
                apiVersion: v1
                kind: PersistentVolume
                metadata: {name: {{pv}} }
                spec:
                  capacity: {storage: 1Gi}
                  accessModes: [ReadWriteOnce]
                  storageClassName: ""
                  claimRef: {namespace: {{ns}}, name: claim}
                  hostPath: {path: "{{host.FullName}}", type: Directory}
                """);
            await ApplyAsync(ns, $$"""
                apiVersion: v1
                kind: PersistentVolumeClaim
                metadata: {name: claim}
                spec:
                  accessModes: [ReadWriteOnce]
                  storageClassName: ""
                  volumeName: {{pv}}
                  resources: {requests: {storage: 1Gi} }
                ---
                apiVersion: v1
                kind: Pod
                metadata: {name: user}
                spec:
                  nodeName: runc-node
                  restartPolicy: Never
                  containers:
                  - {name: c, image: busybox, command: ["sh", "-c", "cat /data/seed; echo from-pod > /data/written"], volumeMounts: [{name: data, mountPath: /data}]}
                  volumes:
                  - {name: data, persistentVolumeClaim: {claimName: claim} }
                """);
            var events = await PollAsync(() => StdoutAsync("get", "events", "-n", ns), e => e.Contains("FailedMount", StringComparison.Ordinal));
            Assert.Contains("MountVolume.SetUp failed for volume \"data\" : persistentvolumeclaim \"claim\" is not bound", events);
            Assert.Equal("Pending", await K.OkAsync(["get", "pod", "user", "-n", ns, "-o", "jsonpath={.status.phase}"]));

            await K.OkAsync(["patch", "pvc", "claim", "-n", ns, "--subresource=status", "--type=merge", "-p", "{\"status\":{\"phase\":\"Bound\"}}"]);
            await PhaseAsync(ns, "user", "Succeeded");
            Assert.Equal("from-host\n", await K.OkAsync($"logs user -n {ns}"));
            Assert.Equal("from-pod\n", await File.ReadAllTextAsync(Path.Combine(host.FullName, "written")));
        }
        finally
        {
            await K.RunAsync($"delete pv {pv} --wait=false");
            host.Delete(true);
        }
    }

    [Fact]
    public async Task AConfigMapVolumeIsUpdatedInPlaceButASubPathMountKeepsItsFirstContent()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: ConfigMap
            metadata: {name: cfg}
            data: {mode: slow}
            ---
            apiVersion: v1
            kind: Pod
            metadata: {name: reader}
            spec:
              nodeName: runc-node
              terminationGracePeriodSeconds: 1
              containers:
              - name: c
                image: busybox
                command: ["sleep", "3600"]
                volumeMounts:
                - {name: cfg, mountPath: /etc/cfg}
                - {name: cfg, mountPath: /etc/mode.conf, subPath: mode}
              volumes:
              - {name: cfg, configMap: {name: cfg}}
            """);
        await WaitForAsync(ns, "reader", "{.status.containerStatuses[0].state.running.startedAt}", s => s.Length > 0);
        Assert.Equal("slow slow\n", await K.OkAsync(["exec", "reader", "-n", ns, "--", "sh", "-c", "echo $(cat /etc/cfg/mode) $(cat /etc/mode.conf)"]));

        await K.OkAsync(["patch", "configmap", "cfg", "-n", ns, "-p", "{\"data\":{\"mode\":\"fast\"}}"]);
        var sw = System.Diagnostics.Stopwatch.StartNew();
        var seen = await PollAsync(() => StdoutAsync("exec", "reader", "-n", ns, "--", "cat", "/etc/cfg/mode"), s => s == "fast", seconds: 12);
        Assert.True(seen == "fast", $"/etc/cfg/mode still \"{seen}\" {sw.Elapsed} after the update");
        Assert.Equal("slow", await K.OkAsync(["exec", "reader", "-n", ns, "--", "cat", "/etc/mode.conf"]));
        await K.OkAsync($"delete pod reader -n {ns} --wait=false");
    }

    [Fact]
    public async Task ASubPathMountsPartOfAVolumeAndAReadOnlyMountRefusesWrites()
    {
        var ns = await NamespaceAsync();
        await ApplyAsync(ns, """
            apiVersion: v1
            kind: Pod
            metadata: {name: mounts}
            spec:
              nodeName: runc-node
              restartPolicy: Never
              containers:
              - name: c
                image: busybox
                command: ["sh", "-c", "echo into-sub > /sub/file; cat /whole/nested/dir/file; cat /ro/nested/dir/file; (echo no > /ro/other) 2>&1; grep ' /ro ' /proc/mounts | cut -d' ' -f4 | cut -d, -f1"]
                volumeMounts:
                - {name: data, mountPath: /whole}
                - {name: data, mountPath: /sub, subPath: nested/dir}
                - {name: data, mountPath: /ro, readOnly: true}
              volumes:
              - {name: data, emptyDir: {}}
            """);
        await PhaseAsync(ns, "mounts", "Succeeded");
        var logs = await K.OkAsync($"logs mounts -n {ns}");
        Assert.Matches(@"^into-sub\ninto-sub\nsh: .*/ro/other: Read-only file system\nro\n$", logs);
    }
}
