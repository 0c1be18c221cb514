using System.Globalization;
using System.Text;
using k8s;
using k8s.Models;
using KvCluster.NodeAgent.Pods;
using KvCluster.NodeAgent.Runtime;

namespace KvCluster.NodeAgent.Volumes;

/// <summary>A volume cannot be set up yet (FailedMount); the pod stays ContainerCreating and the agent retries.</summary>
public sealed class VolumeException(string message) : Exception(message);

/// <summary>A set-up volume: where it is on the host, and whether the pod may only read it (configMap, secret, downwardAPI).</summary>
public sealed record HostVolume(string Path, bool ReadOnly);

/// <summary>
/// Sets up a pod's volumes under &lt;pod dir&gt;/volumes/&lt;name&gt;: emptyDir (a directory, or a tmpfs for medium
/// Memory), hostPath (with its type check), configMap, secret and downwardAPI (files written through an
/// atomic "..data" symlink as the kubelet does, so an update replaces every file at once),
/// persistentVolumeClaim (bound to a hostPath PersistentVolume).
/// </summary>
public sealed class VolumeManager(IKubernetes client, EnvResolver env)
{
    public async Task<Dictionary<string, HostVolume>> SetUpAsync(V1Pod pod, string podDir, CancellationToken ct)
    {
        var result = new Dictionary<string, HostVolume>();
        foreach (var v in pod.Spec.Volumes ?? [])
        {
            try
            {
                result[v.Name] = await SetUpAsync(pod, v, System.IO.Path.Combine(podDir, "volumes", v.Name), ct);
            }
            catch (Exception e) when (e is ContainerConfigException or IOException or VolumeException)
            {
                throw new VolumeException($"MountVolume.SetUp failed for volume \"{v.Name}\" : {e.Message}");
            }
        }

        return result;
    }

    /// <summary>Rewrites the configMap, secret and downwardAPI volumes from the objects' current contents (atomically per volume).</summary>
    public async Task RefreshAsync(V1Pod pod, string podDir, CancellationToken ct)
    {
        foreach (var v in pod.Spec.Volumes ?? [])
        {
            if (v.ConfigMap is not null || v.Secret is not null || v.DownwardAPI is not null)
            {
                try
                {
                    await SetUpAsync(pod, v, System.IO.Path.Combine(podDir, "volumes", v.Name), ct);
                }
                catch (Exception e) when (e is ContainerConfigException or IOException)
                {
                    // Kept as it was; the next refresh tries again.
                }
            }
        }
    }

    public static void TearDown(string podDir)
    {
        var volumes = System.IO.Path.Combine(podDir, "volumes");
        if (Directory.Exists(volumes))
        {
            foreach (var dir in Directory.EnumerateDirectories(volumes))
            {
                Native.Unmount(dir);
            }
        }
    }

    private async Task<HostVolume> SetUpAsync(V1Pod pod, V1Volume v, string dir, CancellationToken ct)
    {
        var ns = pod.Namespace();
        switch (v)
        {
            case { EmptyDir: { } e }:
                Directory.CreateDirectory(dir);
                if (e.Medium == "Memory" && !Native.IsMountPoint(dir))
                {
                    Native.MountTmpfs(dir, e.SizeLimit is { } limit ? (long)limit.ToDecimal() : null);
                }

                return new(dir, false);
            case { HostPath: { } h }:
                return new(HostPath(h.Path, h.Type ?? ""), false);
            case { ConfigMap: { } cm }:
                var data = await env.ConfigMapAsync(ns, cm.Name, cm.Optional == true, ct) ?? new Dictionary<string, string>();
                WriteAtomically(dir, Items(data.ToDictionary(kv => kv.Key, kv => Encoding.UTF8.GetBytes(kv.Value)), cm.Items, cm.Optional == true, $"configmap \"{cm.Name}\""), cm.DefaultMode ?? 420);
                return new(dir, true);
            case { Secret: { } s }:
                var bytes = await env.SecretBytesAsync(ns, s.SecretName, s.Optional == true, ct) ?? new Dictionary<string, byte[]>();
                WriteAtomically(dir, Items(bytes, s.Items, s.Optional == true, $"secret \"{s.SecretName}\""), s.DefaultMode ?? 420);
                return new(dir, true);
            case { DownwardAPI: { } d }:
                var files = new List<(string, byte[], int?)>();
                foreach (var item in d.Items ?? [])
                {
                    var text = item.FieldRef is { } f ? env.FieldPath(pod, f.FieldPath)
                        : item.ResourceFieldRef is { } r ? env.ResourceField(pod, r.ContainerName, r) : "";
                    files.Add((item.Path, Encoding.UTF8.GetBytes(text), item.Mode));
                }

                WriteAtomically(dir, files, d.DefaultMode ?? 420);
                return new(dir, true);
            case { PersistentVolumeClaim: { } claim }:
                return new(await ClaimPathAsync(ns, claim.ClaimName, ct), claim.ReadOnlyProperty == true);
            default:
                throw new VolumeException("volume type not supported by this node agent (supported: emptyDir, hostPath, configMap, secret, downwardAPI, persistentVolumeClaim)");
        }
    }

    private static List<(string Path, byte[] Content, int? Mode)> Items(IDictionary<string, byte[]> data, IList<V1KeyToPath>? items, bool optional, string what)
    {
        if (items is null or { Count: 0 })
        {
            return [.. data.Select(kv => (kv.Key, kv.Value, (int?)null))];
        }

        var files = new List<(string, byte[], int?)>();
        foreach (var item in items)
        {
            if (data.TryGetValue(item.Key, out var content))
            {
                files.Add((item.Path, content, item.Mode));
            }
            else if (!optional)
            {
                throw new VolumeException($"configmap references non-existent config key: {item.Key}".Replace("configmap", what.Split(' ')[0], StringComparison.Ordinal));
            }
        }

        return files;
    }

    /// <summary>
    /// The kubelet's atomic writer: files go into a fresh "..&lt;timestamp&gt;" directory, "..data" is
    /// switched to it with a rename, and each top-level name is a symlink through "..data".
    /// </summary>
    private static void WriteAtomically(string dir, List<(string Path, byte[] Content, int? Mode)> files, int defaultMode)
    {
        Directory.CreateDirectory(dir);
        var stamp = ".." + DateTime.UtcNow.ToString("yyyy_MM_dd_HH_mm_ss.fffffff", CultureInfo.InvariantCulture);
        var target = System.IO.Path.Combine(dir, stamp);
        Directory.CreateDirectory(target);
        foreach (var (path, content, mode) in files)
        {
            if (path.Split('/').Any(p => p is ".." or "") || System.IO.Path.IsPathRooted(path))
            {
                throw new VolumeException($"invalid path {path}");
            }

            var file = System.IO.Path.Combine(target, path);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
            File.WriteAllBytes(file, content);
            File.SetUnixFileMode(file, (UnixFileMode)(mode ?? defaultMode));
        }

        var data = System.IO.Path.Combine(dir, "..data");
        var old = File.Exists(data) || Directory.Exists(data) ? new FileInfo(data).LinkTarget : null;
        var tmp = System.IO.Path.Combine(dir, "..data_tmp");
        File.Delete(tmp);
        File.CreateSymbolicLink(tmp, stamp);
        Native.Rename(tmp, data);
        var top = files.Select(f => f.Path.Split('/')[0]).ToHashSet();
        foreach (var entry in Directory.EnumerateFileSystemEntries(dir).Select(System.IO.Path.GetFileName).OfType<string>())
        {
            if (!entry.StartsWith("..", StringComparison.Ordinal) && !top.Contains(entry))
            {
                File.Delete(System.IO.Path.Combine(dir, entry));
            }
        }

        foreach (var name in top)
        {
            var link = System.IO.Path.Combine(dir, name);
            if (new FileInfo(link).LinkTarget is null)
            {
                File.CreateSymbolicLink(link, "..data/" + name);
            }
        }

        if (old is not null && old != stamp)
        {
            OciRuntime.TryDelete(System.IO.Path.Combine(dir, old));
        }
    }

    private static string HostPath(string path, string type)
    {
        string Fail(string what) => throw new VolumeException($"hostPath type check failed: {path} is not {what}");
        switch (type)
        {
            case "DirectoryOrCreate":
                if (!Directory.Exists(path))
                {
                    Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
                }

                break;
            case "Directory":
                _ = Directory.Exists(path) ? path : Fail("a directory");
                break;
            case "FileOrCreate":
                if (!File.Exists(path))
                {
                    Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
                    File.WriteAllBytes(path, []);
                }

                break;
            case "File":
                _ = File.Exists(path) ? path : Fail("a file");
                break;
            case "Socket" or "CharDevice" or "BlockDevice":
                var expected = type switch { "Socket" => "a socket file", "CharDevice" => "a character device", _ => "a block device" };
                var info = new FileInfo(path);
                _ = info.Exists && (info.Attributes & FileAttributes.Device) != 0 || type == "Socket" && info.Exists ? path : Fail(expected);
                break;
        }

        return path;
    }

    private async Task<string> ClaimPathAsync(string ns, string claimName, CancellationToken ct)
    {
        V1PersistentVolumeClaim pvc;
        try
        {
            pvc = await client.CoreV1.ReadNamespacedPersistentVolumeClaimAsync(claimName, ns, cancellationToken: ct);
        }
        catch (k8s.Autorest.HttpOperationException e) when (e.Response.StatusCode == System.Net.HttpStatusCode.NotFound)
        {
            throw new VolumeException($"persistentvolumeclaim \"{claimName}\" not found");
        }

        // As the kubelet: a claim is usable once bound (phase Bound, a volume named), not merely when it names a volume.
        if (pvc.Status?.Phase != "Bound" || pvc.Spec.VolumeName is not { Length: > 0 } pvName)
        {
            throw new VolumeException($"persistentvolumeclaim \"{claimName}\" is not bound");
        }

        var pv = await client.CoreV1.ReadPersistentVolumeAsync(pvName, cancellationToken: ct);
        return pv.Spec.HostPath is { } hp
            ? HostPath(hp.Path, hp.Type is { Length: > 0 } t ? t : "DirectoryOrCreate")
            : throw new VolumeException($"persistentvolume \"{pvName}\" is not a hostPath volume, the only kind this node agent mounts");
    }
}
