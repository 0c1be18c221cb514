using k8s.Models;

namespace KvCluster.Controllers.Scheduler;

/// <summary>CPU in millicores, memory in bytes, and a pod count: what NodeResourcesFit compares.</summary>
internal readonly record struct Resources(long MilliCpu, long Memory, int Pods)
{
    /// <summary>What the scoring counts for a container that requests nothing (kube-scheduler's non-zero defaults).</summary>
    public const long DefaultMilliCpu = 100;
    public const long DefaultMemory = 200L * 1024 * 1024;

    public static Resources operator +(Resources a, Resources b) => new(a.MilliCpu + b.MilliCpu, a.Memory + b.Memory, a.Pods + b.Pods);

    public static Resources Max(Resources a, Resources b) => new(Math.Max(a.MilliCpu, b.MilliCpu), Math.Max(a.Memory, b.Memory), Math.Max(a.Pods, b.Pods));

    /// <summary>A node's allocatable resources (status.allocatable; capacity when none is reported).</summary>
    public static Resources Allocatable(V1Node node)
    {
        var set = node.Status?.Allocatable is { Count: > 0 } a ? a : node.Status?.Capacity;
        return new(CpuOf(set, "cpu"), AmountOf(set, "memory"), (int)Math.Min(int.MaxValue, AmountOf(set, "pods")));
    }

    /// <summary>
    /// A pod's effective request, as kube-scheduler computes it: the sum of its containers and restartable
    /// (sidecar) init containers, or the largest regular init container with the sidecars started before it,
    /// whichever is larger; plus the pod's overhead. A container's limit stands for its missing request, as the
    /// API's defaulting would have set it. <paramref name="nonZero"/> counts a container without a request at
    /// the scoring defaults (100m, 200Mi).
    /// </summary>
    public static Resources Requested(V1Pod pod, bool nonZero = false)
    {
        var spec = pod.Spec;
        var containers = default(Resources);
        foreach (var c in spec?.Containers ?? [])
        {
            containers += Of(c.Resources, nonZero);
        }

        var sidecars = default(Resources);
        var init = default(Resources);
        foreach (var c in spec?.InitContainers ?? [])
        {
            var r = Of(c.Resources, nonZero);
            if (c.RestartPolicy == "Always")
            {
                sidecars += r;
                init = Max(init, sidecars);
            }
            else
            {
                init = Max(init, sidecars + r);
            }
        }

        var total = Max(containers + sidecars, init);
        if (spec?.Overhead is { } overhead)
        {
            total += new Resources(CpuOf(overhead, "cpu"), AmountOf(overhead, "memory"), 0);
        }

        return total with { Pods = 1 };
    }

    private static Resources Of(V1ResourceRequirements? r, bool nonZero)
    {
        long cpu = Has(r?.Requests, "cpu") ? CpuOf(r!.Requests, "cpu") : Has(r?.Limits, "cpu") ? CpuOf(r!.Limits, "cpu") : nonZero ? DefaultMilliCpu : 0;
        long mem = Has(r?.Requests, "memory") ? AmountOf(r!.Requests, "memory") : Has(r?.Limits, "memory") ? AmountOf(r!.Limits, "memory") : nonZero ? DefaultMemory : 0;
        return new(cpu, mem, 0);
    }

    private static bool Has(IDictionary<string, ResourceQuantity>? set, string name) => set is not null && set.ContainsKey(name);

    private static long CpuOf(IDictionary<string, ResourceQuantity>? set, string name) =>
        set is not null && set.TryGetValue(name, out var q) ? (long)Math.Ceiling(q.ToDecimal() * 1000) : 0;

    private static long AmountOf(IDictionary<string, ResourceQuantity>? set, string name) =>
        set is not null && set.TryGetValue(name, out var q) ? (long)Math.Ceiling(q.ToDecimal()) : 0;
}
