using System.Formats.Tar;
using System.IO.Compression;
using System.Text.Json.Nodes;

namespace KvCluster.NodeAgent.Images;

/// <summary>
/// Imports images into the local store: an OCI image layout (a directory with oci-layout and index.json,
/// or a tar of one: its manifest's layers applied in order, with whiteouts) or a plain root filesystem
/// (a directory or tar, with --name).
/// </summary>
public static class ImageImporter
{
    public static async Task<Image> ImportAsync(ImageStore store, string path, string? name, CancellationToken ct)
    {
        if (File.Exists(path))
        {
            var temp = Directory.CreateTempSubdirectory("nodeagent-import-");
            try
            {
                await using (var file = File.OpenRead(path))
                {
                    await ExtractAsync(file, Gzipped(path), temp.FullName, ct);
                }

                return await ImportAsync(store, temp.FullName, name, ct);
            }
            finally
            {
                temp.Delete(true);
            }
        }

        if (!Directory.Exists(path))
        {
            throw new ArgumentException($"{path}: no such file or directory");
        }

        if (File.Exists(Path.Combine(path, "oci-layout")))
        {
            return await ImportLayoutAsync(store, path, name, ct);
        }

        var reference = ImageReference.Parse(name ?? throw new ArgumentException("importing a root filesystem needs --name"));
        return store.Add(reference, rootfs => CopyTree(path, rootfs), null);
    }

    private static async Task<Image> ImportLayoutAsync(ImageStore store, string dir, string? name, CancellationToken ct)
    {
        var index = Read(dir, Path.Combine(dir, "index.json"));
        var descriptor = index["manifests"]?.AsArray().FirstOrDefault() ?? throw new ArgumentException("index.json lists no manifest");
        var manifest = Blob(dir, descriptor);
        while (manifest["manifests"] is JsonArray nested)
        {
            descriptor = nested.FirstOrDefault(m => m?["platform"]?["architecture"]?.GetValue<string>() == "amd64") ?? nested.First()!;
            manifest = Blob(dir, descriptor);
        }

        var annotations = descriptor["annotations"] ?? index["manifests"]![0]!["annotations"];
        var ociName = annotations?["org.opencontainers.image.ref.name"]?.GetValue<string>();
        var refName = name ?? annotations?["io.containerd.image.name"]?.GetValue<string>() ?? (ociName is not null && ociName.Contains('/') ? ociName : null);
        var reference = ImageReference.Parse(refName ?? throw new ArgumentException("the layout names no image; pass --name"));
        var config = Blob(dir, manifest["config"]!)["config"] as JsonObject;
        var layers = manifest["layers"]?.AsArray() ?? [];
        return store.Add(reference, rootfs =>
        {
            foreach (var layer in layers)
            {
                var path = BlobPath(dir, layer!);
                using var file = File.OpenRead(path);
                var gz = layer!["mediaType"]?.GetValue<string>()?.EndsWith("gzip", StringComparison.Ordinal) ?? Gzipped(path);
                ApplyLayer(gz ? new GZipStream(file, CompressionMode.Decompress) : file, rootfs);
            }
        }, config is null ? null : JsonNode.Parse(config.ToJsonString())!.AsObject());
    }

    /// <summary>Applies one layer tar: ".wh.x" deletes x, ".wh..wh..opq" empties its directory (OCI image-spec whiteouts).</summary>
    private static void ApplyLayer(Stream tar, string rootfs)
    {
        using var reader = new TarReader(tar);
        while (reader.GetNextEntry() is { } entry)
        {
            var rel = entry.Name.TrimStart('.', '/');
            if (rel.Length == 0 || rel.Split('/').Contains(".."))
            {
                continue;
            }

            var target = Path.Combine(rootfs, rel);
            var file = Path.GetFileName(rel.TrimEnd('/'));
            if (file == ".wh..wh..opq")
            {
                var parent = Path.GetDirectoryName(target)!;
                if (Directory.Exists(parent))
                {
                    foreach (var e in Directory.EnumerateFileSystemEntries(parent))
                    {
                        Delete(e);
                    }
                }

                continue;
            }

            if (file.StartsWith(".wh.", StringComparison.Ordinal))
            {
                Delete(Path.Combine(Path.GetDirectoryName(target)!, file[4..]));
                continue;
            }

            Extract(entry, target, rootfs);
        }
    }

    private static async Task ExtractAsync(Stream tar, bool gz, string dir, CancellationToken ct)
    {
        await using var source = gz ? new GZipStream(tar, CompressionMode.Decompress) : tar;
        await using var reader = new TarReader(source);
        while (await reader.GetNextEntryAsync(cancellationToken: ct) is { } entry)
        {
            var rel = entry.Name.TrimStart('.', '/');
            if (rel.Length > 0 && !rel.Split('/').Contains(".."))
            {
                Extract(entry, Path.Combine(dir, rel), dir);
            }
        }
    }

    private static void Extract(TarEntry entry, string target, string root)
    {
        var mode = (UnixFileMode)((int)entry.Mode & 0xFFF);
        Directory.CreateDirectory(Path.GetDirectoryName(target.TrimEnd('/'))!);
        switch (entry.EntryType)
        {
            case TarEntryType.Directory:
                Directory.CreateDirectory(target);
                File.SetUnixFileMode(target, mode);
                break;
            case TarEntryType.SymbolicLink:
                Delete(target);
                File.CreateSymbolicLink(target, entry.LinkName);
                break;
            case TarEntryType.HardLink:
                Delete(target);
                File.Copy(Path.Combine(root, entry.LinkName.TrimStart('.', '/')), target);
                break;
            case TarEntryType.RegularFile or TarEntryType.V7RegularFile or TarEntryType.ContiguousFile:
                Delete(target);
                entry.ExtractToFile(target, true);
                File.SetUnixFileMode(target, mode);
                break;
        }
    }

    private static void Delete(string path)
    {
        var info = new FileInfo(path);
        if (info.LinkTarget is not null || info.Exists)
        {
            info.Delete();
        }
        else if (Directory.Exists(path))
        {
            Directory.Delete(path, true);
        }
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var entry in new DirectoryInfo(from).EnumerateFileSystemInfos())
        {
            var target = Path.Combine(to, entry.Name);
            if (entry.LinkTarget is { } link)
            {
                File.CreateSymbolicLink(target, link);
            }
            else if (entry is DirectoryInfo d)
            {
                Directory.CreateDirectory(target);
                CopyTree(d.FullName, target);
            }
            else
            {
                File.Copy(entry.FullName, target);
                File.SetUnixFileMode(target, File.GetUnixFileMode(entry.FullName));
            }
        }
    }

    private static bool Gzipped(string path)
    {
        using var f = File.OpenRead(path);
        return f.ReadByte() == 0x1f && f.ReadByte() == 0x8b;
    }

    private static JsonObject Blob(string dir, JsonNode descriptor) => Read(dir, BlobPath(dir, descriptor));

    private static string BlobPath(string dir, JsonNode descriptor)
    {
        var digest = descriptor["digest"]!.GetValue<string>().Split(':', 2);
        return Path.Combine(dir, "blobs", digest[0], digest[1]);
    }

    private static JsonObject Read(string dir, string path) =>
        JsonNode.Parse(File.ReadAllText(path))?.AsObject() ?? throw new ArgumentException($"{Path.GetRelativePath(dir, path)} is not a JSON object");
}
