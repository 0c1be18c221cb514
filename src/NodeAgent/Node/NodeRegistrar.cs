using System.Globalization;
using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace KvCluster.NodeAgent.Node;

/// <summary>
/// The node's presence in the apiserver, as the kubelet keeps it: registers the Node (labels, capacity,
/// addresses, nodeInfo, daemon endpoint), renews its Lease in kube-node-lease every quarter of the
/// lease duration, and posts the Node's status (conditions with heartbeats) periodically.
/// </summary>
public sealed class NodeRegistrar(IKubernetes client, NodeAgentOptions options, Pods.NodeInfo node, string runtimeVersion, Func<int> kubeletPort, ILogger log)
{
    public const string KubeletVersion = "v1.32.0";

    public async Task RegisterAsync(CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                try
                {
                    await client.CoreV1.CreateNodeAsync(new V1Node { Metadata = new V1ObjectMeta { Name = node.Name, Labels = Labels() } }, cancellationToken: ct);
                    log.LogInformation("registered node {Node}", node.Name);
                }
                catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.Conflict)
                {
                    log.LogInformation("node {Node} already registered", node.Name);
                }

                await PostStatusAsync(ct);
                await RenewLeaseAsync(ct);
                return;
            }
            catch (Exception e) when (e is HttpRequestException or HttpOperationException && attempt < 600 && !ct.IsCancellationRequested)
            {
                log.LogWarning("registering node {Node} failed ({Error}); retrying", node.Name, e.Message);
                await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
            }
        }
    }

    /// <summary>Renews the Lease and posts status until <paramref name="ct"/> ends.</summary>
    public async Task RunAsync(CancellationToken ct)
    {
        var leaseEvery = TimeSpan.FromSeconds(Math.Max(1, options.NodeLeaseDurationSeconds / 4.0));
        var nextStatus = DateTime.UtcNow + options.NodeStatusUpdateFrequency;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(leaseEvery, ct);
                await RenewLeaseAsync(ct);
                if (DateTime.UtcNow >= nextStatus)
                {
                    await PostStatusAsync(ct);
                    nextStatus = DateTime.UtcNow + options.NodeStatusUpdateFrequency;
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogWarning("node heartbeat failed: {Error}", e.Message);
            }
        }
    }

    private Dictionary<string, string> Labels() => new()
    {
        ["kubernetes.io/hostname"] = node.Name,
        ["kubernetes.io/os"] = "linux",
        ["kubernetes.io/arch"] = Arch,
        ["beta.kubernetes.io/os"] = "linux",
        ["beta.kubernetes.io/arch"] = Arch,
    };

    private static string Arch => System.Runtime.InteropServices.RuntimeInformation.OSArchitecture switch
    {
        System.Runtime.InteropServices.Architecture.Arm64 => "arm64",
        _ => "amd64",
    };

    private async Task RenewLeaseAsync(CancellationToken ct)
    {
        const string ns = "kube-node-lease";
        var now = DateTime.UtcNow;
        try
        {
            var lease = await client.CoordinationV1.ReadNamespacedLeaseAsync(node.Name, ns, cancellationToken: ct);
            lease.Spec.RenewTime = now;
            lease.Spec.HolderIdentity = node.Name;
            lease.Spec.LeaseDurationSeconds = options.NodeLeaseDurationSeconds;
            await client.CoordinationV1.ReplaceNamespacedLeaseAsync(lease, node.Name, ns, cancellationToken: ct);
        }
        catch (HttpOperationException e) when (e.Response.StatusCode == HttpStatusCode.NotFound)
        {
            var owner = await client.CoreV1.ReadNodeAsync(node.Name, cancellationToken: ct);
            await client.CoordinationV1.CreateNamespacedLeaseAsync(new V1Lease
            {
                Metadata = new V1ObjectMeta
                {
                    Name = node.Name,
                    OwnerReferences = [new V1OwnerReference { ApiVersion = "v1", Kind = "Node", Name = node.Name, Uid = owner.Uid() }],
                },
                Spec = new V1LeaseSpec { HolderIdentity = node.Name, LeaseDurationSeconds = options.NodeLeaseDurationSeconds, RenewTime = now },
            }, ns, cancellationToken: ct);
        }
    }

    public async Task PostStatusAsync(CancellationToken ct)
    {
        var now = DateTime.UtcNow;
        var quantity = new Dictionary<string, ResourceQuantity>
        {
            ["cpu"] = new(node.Cpus.ToString(CultureInfo.InvariantCulture)),
            ["memory"] = new($"{node.MemoryBytes / 1024}Ki"),
            ["pods"] = new(options.MaxPods.ToString(CultureInfo.InvariantCulture)),
            ["ephemeral-storage"] = new($"{DiskBytes() / 1024}Ki"),
            ["hugepages-2Mi"] = new("0"),
        };
        V1NodeCondition Condition(string type, bool status, string reason, string message) => new()
        {
            Type = type, Status = status ? "True" : "False", Reason = reason, Message = message, LastHeartbeatTime = now, LastTransitionTime = _since,
        };
        var status = new V1NodeStatus
        {
            Capacity = quantity,
            Allocatable = quantity,
            Addresses = [new V1NodeAddress { Type = "InternalIP", Address = node.Address }, new V1NodeAddress { Type = "Hostname", Address = node.Name }],
            DaemonEndpoints = new V1NodeDaemonEndpoints { KubeletEndpoint = new V1DaemonEndpoint { Port = kubeletPort() } },
            NodeInfo = new V1NodeSystemInfo
            {
                MachineID = ReadOr("/etc/machine-id", ""), SystemUUID = ReadOr("/sys/class/dmi/id/product_uuid", ReadOr("/etc/machine-id", "")),
                BootID = ReadOr("/proc/sys/kernel/random/boot_id", ""), KernelVersion = Environment.OSVersion.Version.ToString(),
                OsImage = OsImage(), ContainerRuntimeVersion = runtimeVersion, KubeletVersion = KubeletVersion, KubeProxyVersion = KubeletVersion,
                OperatingSystem = "linux", Architecture = Arch,
            },
            Conditions =
            [
                Condition("MemoryPressure", false, "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
                Condition("DiskPressure", false, "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
                Condition("PIDPressure", false, "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
                Condition("Ready", true, "KubeletReady", "kubelet is posting ready status"),
            ],
        };
        status.NodeInfo.KernelVersion = ReadOr("/proc/sys/kernel/osrelease", status.NodeInfo.KernelVersion);
        var patch = new V1Patch("{\"status\":" + KubernetesJson.Serialize(status) + "}", V1Patch.PatchType.MergePatch);
        await client.CoreV1.PatchNodeStatusAsync(patch, node.Name, cancellationToken: ct);
    }

    private readonly DateTime _since = DateTime.UtcNow;

    private long DiskBytes()
    {
        try
        {
            Directory.CreateDirectory(options.RootDir);
            return new DriveInfo(Path.GetFullPath(options.RootDir)).TotalSize;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    private static string ReadOr(string path, string fallback)
    {
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : fallback;
        }
        catch (IOException)
        {
            return fallback;
        }
    }

    private static string OsImage() =>
        File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?[12..].Trim('"') ?? "Linux"
            : "Linux";

    /// <summary>The machine's memory (MemTotal of /proc/meminfo).</summary>
    public static long MemoryBytes()
    {
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
    }
}
