using KvCluster.NodeAgent.Images;

namespace KvCluster.NodeAgent.Tests.Images;

public sealed class ImageReferenceTests
{
    [Theory]
    [InlineData("busybox", "docker.io/library/busybox:latest")]
    [InlineData("busybox:1.36", "docker.io/library/busybox:1.36")]
    [InlineData("me/app", "docker.io/me/app:latest")]
    [InlineData("registry.example/team/app:1.0", "registry.example/team/app:1.0")]
    [InlineData("localhost/app", "localhost/app:latest")]
    [InlineData("host:5000/app:2", "host:5000/app:2")]
    [InlineData("app@sha256:abc", "docker.io/library/app@sha256:abc")]
    public void NamesNormalizeAsDockerDoes(string name, string normalized) => Assert.Equal(normalized, ImageReference.Parse(name).ToString());

    [Theory]
    [InlineData("")]
    [InlineData("Busybox")]
    [InlineData(" busybox")]
    [InlineData("app:")]
    public void InvalidNamesAreRejected(string name) =>
        Assert.Contains("invalid reference format", Assert.Throws<FormatException>(() => ImageReference.Parse(name)).Message);

    [Fact]
    public async Task BusyboxIsBuiltOnFirstUseAndOtherImagesAreNotPresent()
    {
        var root = Directory.CreateTempSubdirectory("images-");
        try
        {
            var store = new ImageStore(root.FullName);
            var image = await store.GetAsync("busybox:1.36", CancellationToken.None);
            Assert.True(File.Exists(Path.Combine(image.RootFs, "bin/busybox")));
            Assert.Equal("busybox", new FileInfo(Path.Combine(image.RootFs, "bin/sh")).LinkTarget);
            Assert.Equal(["sh"], image.Cmd);
            Assert.Equal(image.Id, (await store.GetAsync("busybox:1.36", CancellationToken.None)).Id);
            Assert.Single(store.List());
            var missing = await Assert.ThrowsAsync<ImageNotPresentException>(() => store.GetAsync("nginx:1.27", CancellationToken.None));
            Assert.Contains("nodeagent image import", missing.Message);
            Assert.True(store.Remove("busybox:1.36"));
            Assert.Empty(store.List());
        }
        finally
        {
            root.Delete(true);
        }
    }

    [Fact]
    public async Task AnImportedRootFilesystemKeepsItsFilesAndModes()
    {
        var root = Directory.CreateTempSubdirectory("images-");
        var src = Directory.CreateTempSubdirectory("rootfs-");
        try
        {
            Directory.CreateDirectory(Path.Combine(src.FullName, "bin"));
            File.WriteAllText(Path.Combine(src.FullName, "bin/tool"), "#!/bin/sh\necho tool\n");
            File.SetUnixFileMode(Path.Combine(src.FullName, "bin/tool"), (UnixFileMode)0b111_101_101);
            File.CreateSymbolicLink(Path.Combine(src.FullName, "bin/alias"), "tool");
            var store = new ImageStore(root.FullName);
            var image = await ImageImporter.ImportAsync(store, src.FullName, "example.com/tools:1", CancellationToken.None);
            Assert.Equal("example.com/tools:1", image.Reference);
            Assert.Equal((UnixFileMode)0b111_101_101, File.GetUnixFileMode(Path.Combine(image.RootFs, "bin/tool")));
            Assert.Equal("tool", new FileInfo(Path.Combine(image.RootFs, "bin/alias")).LinkTarget);
            Assert.Equal(image.Id, (await store.GetAsync("example.com/tools:1", CancellationToken.None)).Id);
        }
        finally
        {
            root.Delete(true);
            src.Delete(true);
        }
    }
}
