using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace KvCluster.NodeAgent.Images;

/// <summary>What a container needs from its image: the unpacked root filesystem and the image's config.</summary>
public sealed record Image(string Reference, string Id, string RootFs, IReadOnlyList<string> Entrypoint, IReadOnlyList<string> Cmd,
    IReadOnlyList<string> Env, string? WorkingDir, string? User, long SizeBytes);

/// <summary>Where pod workers get images: the node's store, or (hollow nodes) anything asked for.</summary>
public interface IImageSource
{
    /// <summary>The image; throws <see cref="ImageNotPresentException"/> when it cannot be had.</summary>
    Task<Image> GetAsync(string name, CancellationToken ct);
}

/// <summary>Every image exists on a hollow node (nothing is run from it).</summary>
public sealed class HollowImages : IImageSource
{
    public Task<Image> GetAsync(string name, CancellationToken ct) =>
        Task.FromResult(new Image(ImageReference.Parse(name).ToString(), "sha256:" + new string('0', 64), "/nonexistent", [], ["hollow"], [], null, null, 0));
}

/// <summary>The image cannot be found locally: no registry is reachable, so this is a pull failure.</summary>
public sealed class ImageNotPresentException(string message) : Exception(message);

/// <summary>
/// The node's local images, under &lt;root-dir&gt;/images/&lt;sha256 of the reference&gt;/{rootfs, image.json}.
/// No registry is reachable from these machines: images are imported (OCI layouts, root filesystems),
/// and busybox (any tag) is made on first use from Debian's busybox-static.
/// </summary>
public sealed class ImageStore(string rootDir) : IImageSource
{
    public const string BusyboxBinary = "/bin/busybox";
    private readonly string _dir = Path.Combine(rootDir, "images");
    private readonly SemaphoreSlim _lock = new(1, 1);

    /// <summary>The image, making the built-in busybox when it is asked for; throws <see cref="ImageNotPresentException"/>.</summary>
    public async Task<Image> GetAsync(string name, CancellationToken ct)
    {
        var reference = ImageReference.Parse(name);
        if (Read(reference) is { } image)
        {
            return image;
        }

        if (reference.Registry == "docker.io" && reference.Repository == "library/busybox" && File.Exists(BusyboxBinary))
        {
            await _lock.WaitAsync(ct);
            try
            {
                return Read(reference) ?? await MakeBusyboxAsync(reference, ct);
            }
            finally
            {
                _lock.Release();
            }
        }

        throw new ImageNotPresentException(
            $"image \"{reference}\" is not present on this node and no registry is reachable; import it with `nodeagent image import --root-dir <dir> --name {name} <oci-layout-or-rootfs>`");
    }

    public IEnumerable<Image> List() => Directory.Exists(_dir)
        ? Directory.EnumerateDirectories(_dir).Select(d => ReadDir(d)).OfType<Image>().OrderBy(i => i.Reference, StringComparer.Ordinal)
        : [];

    public bool Remove(string name)
    {
        var reference = ImageReference.Parse(name);
        _cache.TryRemove(reference, out _);
        var dir = DirOf(reference);
        if (!Directory.Exists(dir))
        {
            return false;
        }

        Directory.Delete(dir, true);
        return true;
    }

    /// <summary>Stores an unpacked root filesystem under a reference, with its config; returns the stored image.</summary>
    public Image Add(ImageReference reference, Action<string> fillRootFs, JsonObject? config)
    {
        var final = DirOf(reference);
        var staging = final + ".new-" + Guid.NewGuid().ToString("N")[..8];
        var rootfs = Path.Combine(staging, "rootfs");
        Directory.CreateDirectory(rootfs);
        fillRootFs(rootfs);
        var configText = (config ?? new JsonObject()).ToJsonString();
        var meta = new JsonObject
        {
            ["reference"] = reference.ToString(),
            ["id"] = "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(configText + reference))),
            ["config"] = JsonNode.Parse(configText),
            ["size"] = DirectorySize(rootfs),
        };
        File.WriteAllText(Path.Combine(staging, "image.json"), meta.ToJsonString());
        if (Directory.Exists(final))
        {
            Directory.Delete(final, true);
        }

        Directory.Move(staging, final);
        _cache.TryRemove(reference, out _);
        return ReadDir(final)!;
    }

    // Read once per reference: every container start asks, and the image's files do not change while stored.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<ImageReference, Image> _cache = new();

    private Image? Read(ImageReference reference)
    {
        if (_cache.TryGetValue(reference, out var cached) && Directory.Exists(cached.RootFs))
        {
            return cached;
        }

        var image = ReadDir(DirOf(reference));
        if (image is not null)
        {
            _cache[reference] = image;
        }

        return image;
    }

    private string DirOf(ImageReference reference) =>
        Path.Combine(_dir, Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(reference.ToString())))[..32]);

    private static Image? ReadDir(string dir)
    {
        var metaPath = Path.Combine(dir, "image.json");
        if (!File.Exists(metaPath))
        {
            return null;
        }

        var meta = JsonNode.Parse(File.ReadAllText(metaPath))!.AsObject();
        var c = meta["config"] as JsonObject ?? [];
        static string[] Strings(JsonNode? n) => n is JsonArray a ? [.. a.Select(x => x!.GetValue<string>())] : [];
        return new Image(meta["reference"]!.GetValue<string>(), meta["id"]!.GetValue<string>(), Path.Combine(dir, "rootfs"),
            Strings(c["Entrypoint"]), Strings(c["Cmd"]), Strings(c["Env"]),
            c["WorkingDir"]?.GetValue<string>() is { Length: > 0 } w ? w : null,
            c["User"]?.GetValue<string>() is { Length: > 0 } u ? u : null,
            meta["size"]?.GetValue<long>() ?? 0);
    }

    private async Task<Image> MakeBusyboxAsync(ImageReference reference, CancellationToken ct)
    {
        var applets = await ListAppletsAsync(ct);
        var config = new JsonObject
        {
            ["Cmd"] = new JsonArray("sh"),
            ["Env"] = new JsonArray("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        };
        return Add(reference, rootfs =>
        {
            foreach (var d in new[] { "bin", "dev", "etc", "home", "proc", "root", "sys", "tmp", "usr/bin", "usr/sbin", "var", "sbin" })
            {
                Directory.CreateDirectory(Path.Combine(rootfs, d));
            }

            File.Copy(BusyboxBinary, Path.Combine(rootfs, "bin/busybox"));
            foreach (var applet in applets.Where(a => a != "busybox"))
            {
                File.CreateSymbolicLink(Path.Combine(rootfs, "bin", applet), "busybox");
            }

            File.WriteAllText(Path.Combine(rootfs, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n");
            File.WriteAllText(Path.Combine(rootfs, "etc/group"), "root:x:0:\nnobody:x:65534:\n");
            File.SetUnixFileMode(Path.Combine(rootfs, "tmp"), (UnixFileMode)0x3FF /* 1777 */);
        }, config);
    }

    private static async Task<string[]> ListAppletsAsync(CancellationToken ct)
    {
        using var p = Runtime.OrphanReaper.StartChild(new ProcessStartInfo(BusyboxBinary, "--list") { RedirectStandardOutput = true, UseShellExecute = false });
        var text = await p.StandardOutput.ReadToEndAsync(ct);
        await p.WaitForExitAsync(ct);
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }

    private static long DirectorySize(string dir) =>
        new DirectoryInfo(dir).EnumerateFiles("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = FileAttributes.ReparsePoint })
            .Sum(f => f.Length);
}
