using System.Text.Json.Nodes;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// Writes OCI runtime-spec 1.0 config.json files: the defaults runc and containerd use (mounts, masked
/// paths, the default capability set), then what the container asks for.
/// </summary>
public static class OciSpec
{
    /// <summary>containerd's default capabilities (what a Kubernetes container gets unless it adds or drops).</summary>
    public static readonly string[] DefaultCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
    ];

    private static readonly string[] AllCapabilities =
    [
        "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_SETGID",
        "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE", "CAP_NET_BROADCAST", "CAP_NET_ADMIN",
        "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER", "CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE",
        "CAP_SYS_PACCT", "CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
        "CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL", "CAP_SETFCAP",
        "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM", "CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ",
        "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
    ];

    /// <summary>Namespaces to create ("" path) or join (a /proc/PID/ns/… path), by OCI type (pid, network, ipc, uts, mount).</summary>
    public sealed record Namespaces(IReadOnlyDictionary<string, string> ByType);

    public static JsonObject Build(ContainerConfig c, string rootfs, Namespaces namespaces, string cgroupsPath, string? hostname)
    {
        var s = c.Security;
        var caps = Capabilities(s);
        var process = new JsonObject
        {
            ["terminal"] = c.Tty,
            ["user"] = new JsonObject
            {
                ["uid"] = s.RunAsUser ?? 0,
                ["gid"] = s.RunAsGroup ?? 0,
                ["additionalGids"] = new JsonArray([.. s.SupplementalGroups.Select(g => (JsonNode)g)]),
            },
            ["args"] = Strings(c.Args),
            ["env"] = Strings(c.Env),
            ["cwd"] = c.WorkingDir,
            ["capabilities"] = new JsonObject
            {
                ["bounding"] = Strings(caps), ["effective"] = Strings(caps), ["permitted"] = Strings(caps),
                ["inheritable"] = new JsonArray(), ["ambient"] = new JsonArray(),
            },
            ["noNewPrivileges"] = !s.AllowPrivilegeEscalation && !s.Privileged,
        };
        var linux = new JsonObject
        {
            ["cgroupsPath"] = cgroupsPath,
            ["resources"] = Resources(c.Resources, s.Privileged),
            ["namespaces"] = new JsonArray([.. namespaces.ByType.Select(kv => (JsonNode)(kv.Value.Length == 0
                ? new JsonObject { ["type"] = kv.Key }
                : new JsonObject { ["type"] = kv.Key, ["path"] = kv.Value }))]),
        };
        if (!s.Privileged)
        {
            linux["maskedPaths"] = Strings(["/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
                "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware", "/proc/scsi"]);
            linux["readonlyPaths"] = Strings(["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"]);
        }

        var spec = new JsonObject
        {
            ["ociVersion"] = "1.0.2",
            ["process"] = process,
            ["root"] = new JsonObject { ["path"] = rootfs, ["readonly"] = s.ReadOnlyRootFilesystem },
            ["mounts"] = Mounts(c.Mounts, s.Privileged, namespaces.ByType.GetValueOrDefault("network") is "" or null),
            ["linux"] = linux,
        };
        if (hostname is not null)
        {
            spec["hostname"] = hostname;
        }

        return spec;
    }

    private static string[] Capabilities(SecuritySettings s)
    {
        if (s.Privileged)
        {
            return AllCapabilities;
        }

        static string Name(string c) => c.StartsWith("CAP_", StringComparison.Ordinal) ? c : "CAP_" + c.ToUpperInvariant();
        var drop = s.CapabilitiesDrop.Select(Name).ToHashSet();
        var set = drop.Contains("CAP_ALL") ? [] : DefaultCapabilities.Where(c => !drop.Contains(c)).ToList();
        foreach (var add in s.CapabilitiesAdd.Select(Name))
        {
            if (add == "CAP_ALL")
            {
                return AllCapabilities;
            }

            if (!set.Contains(add))
            {
                set.Add(add);
            }
        }

        return [.. set];
    }

    private static JsonObject Resources(ResourceLimits r, bool privileged)
    {
        var o = new JsonObject
        {
            ["devices"] = new JsonArray(new JsonObject { ["allow"] = privileged, ["access"] = "rwm" }),
            ["cpu"] = new JsonObject { ["shares"] = r.CpuShares },
        };
        if (r.CpuQuotaMicros is { } quota)
        {
            o["cpu"]!["quota"] = quota;
            o["cpu"]!["period"] = 100_000;
        }

        if (r.MemoryLimitBytes is { } memory)
        {
            // Swap equal to the limit: no swap, so the limit is the limit (as the kubelet on cgroup v1).
            o["memory"] = new JsonObject { ["limit"] = memory, ["swap"] = memory };
        }

        if (r.PidsLimit is { } pids)
        {
            o["pids"] = new JsonObject { ["limit"] = pids };
        }

        return o;
    }

    private static JsonArray Mounts(IReadOnlyList<MountSpec> volumes, bool privileged, bool ownNetwork)
    {
        var mounts = new JsonArray
        {
            Mount("/proc", "proc", "proc", []),
            Mount("/dev", "tmpfs", "tmpfs", ["nosuid", "strictatime", "mode=755", "size=65536k"]),
            Mount("/dev/pts", "devpts", "devpts", ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]),
            Mount("/dev/shm", "tmpfs", "shm", ["nosuid", "noexec", "nodev", "mode=1777", "size=65536k"]),
            Mount("/dev/mqueue", "mqueue", "mqueue", ["nosuid", "noexec", "nodev"]),
            // sysfs can only be mounted by a network namespace's owner; a container joining the sandbox's gets a bind of /sys.
            ownNetwork
                ? Mount("/sys", "sysfs", "sysfs", privileged ? ["nosuid", "noexec", "nodev"] : ["nosuid", "noexec", "nodev", "ro"])
                : Mount("/sys", "bind", "/sys", privileged ? ["rbind", "nosuid", "noexec", "nodev"] : ["rbind", "nosuid", "noexec", "nodev", "ro"]),
            // The container's own cgroup directories (its limits as it sees them), not the host's root, as containerd mounts them.
            Mount("/sys/fs/cgroup", "cgroup", "cgroup", privileged ? ["nosuid", "noexec", "nodev", "relatime"] : ["nosuid", "noexec", "nodev", "relatime", "ro"]),
        };
        foreach (var v in volumes)
        {
            mounts.Add(v.Tmpfs
                ? Mount(v.Destination, "tmpfs", "tmpfs", [.. new[] { "nosuid", "nodev", "mode=1777" }, .. v.TmpfsSizeBytes is { } size ? new[] { $"size={size}" } : [], .. v.ReadOnly ? new[] { "ro" } : []])
                : Mount(v.Destination, "bind", v.Source, v.ReadOnly ? ["rbind", "ro"] : ["rbind", "rw"]));
        }

        return mounts;
    }

    private static JsonObject Mount(string destination, string type, string source, string[] options) => new()
    {
        ["destination"] = destination, ["type"] = type, ["source"] = source, ["options"] = Strings(options),
    };

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);
}
