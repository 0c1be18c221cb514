namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// The cgroup layout: /kvcluster/pod&lt;uid&gt;/&lt;container id&gt; in every hierarchy (cgroup v1 here, as on
/// this machine; the runtime creates them from the spec's cgroupsPath). The agent reads the OOM-kill
/// count before the runtime deletes a container, and removes the pod's directories when the pod goes.
/// </summary>
internal static class Cgroups
{
    private const string Root = "/sys/fs/cgroup";

    public static string PodPath(string podUid, string container) => $"/kvcluster/pod{podUid}/{container}";

    /// <summary>How many processes of the container the kernel's OOM killer has killed (v1 memory.oom_control, v2 memory.events).</summary>
    public static long OomKills(string podUid, string container)
    {
        foreach (var file in new[] { $"{Root}/memory/kvcluster/pod{podUid}/{container}/memory.oom_control", $"{Root}/kvcluster/pod{podUid}/{container}/memory.events" })
        {
            if (!File.Exists(file))
            {
                continue;
            }

            foreach (var line in File.ReadLines(file))
            {
                var parts = line.Split(' ');
                if (parts is ["oom_kill", var n] && long.TryParse(n, out var count))
                {
                    return count;
                }
            }
        }

        return 0;
    }

    public static void RemovePod(string podUid) => RemoveTree($"kvcluster/pod{podUid}");

    /// <summary>Removes a cgroup directory tree, deepest first, in every mounted hierarchy (cgroup dirs are removed with rmdir).</summary>
    public static void RemoveTree(string relative)
    {
        if (!Directory.Exists(Root))
        {
            return;
        }

        var hierarchies = Directory.EnumerateDirectories(Root).Append(Root);
        foreach (var h in hierarchies)
        {
            var dir = Path.Combine(h, relative);
            if (!Directory.Exists(dir))
            {
                continue;
            }

            foreach (var sub in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories).OrderByDescending(d => d.Length).Append(dir))
            {
                try
                {
                    Directory.Delete(sub, false);
                }
                catch (IOException)
                {
                }
            }
        }
    }
}
