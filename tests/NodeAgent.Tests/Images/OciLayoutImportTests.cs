using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using KvCluster.NodeAgent.Images;

namespace KvCluster.NodeAgent.Tests.Images;

/// <summary>OCI image layouts (image-spec 1.0: oci-layout, index.json, blobs/sha256) imported as a directory and as a tar.</summary>
public sealed class OciLayoutImportTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LayersApplyInOrderWithWhiteoutsAndTheConfigIsKept(bool asTar)
    {
        var work = Directory.CreateTempSubdirectory("oci-");
        try
        {
            var layout = Path.Combine(work.FullName, "layout");
            WriteLayout(layout);
            var source = layout;
            if (asTar)
            {
                source = Path.Combine(work.FullName, "image.tar");
                await TarFile.CreateFromDirectoryAsync(layout, source, includeBaseDirectory: false);
            }

            var store = new ImageStore(Path.Combine(work.FullName, "root"));
            var image = await ImageImporter.ImportAsync(store, source, null, CancellationToken.None);
            Assert.Equal("example.com/app:1.0", image.Reference);
            Assert.Equal(["/bin/app"], image.Entrypoint);
            Assert.Equal(["--serve"], image.Cmd);
            Assert.Equal("/srv", image.WorkingDir);
            Assert.Equal("1000:1000", image.User);
            Assert.Contains("MODE=prod", image.Env);
            Assert.Equal("v2\n", File.ReadAllText(Path.Combine(image.RootFs, "etc/version")));
            Assert.False(File.Exists(Path.Combine(image.RootFs, "etc/removed")), "a .wh. whiteout deletes the lower layer's file");
            Assert.Empty(Directory.GetFileSystemEntries(Path.Combine(image.RootFs, "cache")));
            Assert.Equal("app", new FileInfo(Path.Combine(image.RootFs, "bin/app-link")).LinkTarget);
        }
        finally
        {
            work.Delete(true);
        }
    }

    private static void WriteLayout(string dir)
    {
        Directory.CreateDirectory(Path.Combine(dir, "blobs", "sha256"));
        File.WriteAllText(Path.Combine(dir, "oci-layout"), """{"imageLayoutVersion":"1.0.0"}""");
        var layer1 = Layer(gzip: true, ("etc/version", "v1\n"), ("etc/removed", "x"), ("cache/old", "x"), ("bin/app", "#!/bin/sh\n"));
        var layer2 = Layer(gzip: false, ("etc/version", "v2\n"), ("etc/.wh.removed", ""), ("cache/.wh..wh..opq", ""), ("bin/app-link", "->app"));
        var config = Blob(dir, Encoding.UTF8.GetBytes(new JsonObject
        {
            ["architecture"] = "amd64",
            ["os"] = "linux",
            ["config"] = new JsonObject
            {
                ["Entrypoint"] = new JsonArray("/bin/app"), ["Cmd"] = new JsonArray("--serve"),
                ["Env"] = new JsonArray("PATH=/bin", "MODE=prod"), ["WorkingDir"] = "/srv", ["User"] = "1000:1000",
            },
        }.ToJsonString()));
        var manifest = Blob(dir, Encoding.UTF8.GetBytes(new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = "application/vnd.oci.image.manifest.v1+json",
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", config),
            ["layers"] = new JsonArray(
                Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", Blob(dir, layer1)),
                Descriptor("application/vnd.oci.image.layer.v1.tar", Blob(dir, layer2))),
        }.ToJsonString()));
        var index = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["manifests"] = new JsonArray(new JsonObject
            {
                ["mediaType"] = "application/vnd.oci.image.manifest.v1+json", ["digest"] = manifest.Digest, ["size"] = manifest.Size,
                ["annotations"] = new JsonObject { ["io.containerd.image.name"] = "example.com/app:1.0", ["org.opencontainers.image.ref.name"] = "1.0" },
            }),
        };
        File.WriteAllText(Path.Combine(dir, "index.json"), index.ToJsonString());
    }

    private static JsonObject Descriptor(string mediaType, (string Digest, long Size) blob) =>
        new() { ["mediaType"] = mediaType, ["digest"] = blob.Digest, ["size"] = blob.Size };

    private static (string Digest, long Size) Blob(string dir, byte[] content)
    {
        var hex = Convert.ToHexStringLower(SHA256.HashData(content));
        File.WriteAllBytes(Path.Combine(dir, "blobs", "sha256", hex), content);
        return ("sha256:" + hex, content.Length);
    }

    /// <summary>A layer tar; a content "->target" makes a symlink.</summary>
    private static byte[] Layer(bool gzip, params (string Path, string Content)[] files)
    {
        using var raw = new MemoryStream();
        using (var tar = new TarWriter(raw, TarEntryFormat.Pax, leaveOpen: true))
        {
            foreach (var (path, content) in files)
            {
                var entry = content.StartsWith("->", StringComparison.Ordinal)
                    ? new PaxTarEntry(TarEntryType.SymbolicLink, path) { LinkName = content[2..] }
                    : new PaxTarEntry(TarEntryType.RegularFile, path) { DataStream = new MemoryStream(Encoding.UTF8.GetBytes(content)), Mode = (UnixFileMode)0b111_101_101 };
                tar.WriteEntry(entry);
            }
        }

        if (!gzip)
        {
            return raw.ToArray();
        }

        using var zipped = new MemoryStream();
        using (var gz = new GZipStream(zipped, CompressionLevel.Fastest, leaveOpen: true))
        {
            gz.Write(raw.ToArray());
        }

        return zipped.ToArray();
    }
}
