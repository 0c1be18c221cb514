using KvCluster.KvServer.Maintenance;

namespace KvCluster.KvServer.Tests.Maintenance;

public sealed class MaintenanceUnitTests
{
    [Theory]
    [InlineData("1", 3600)]
    [InlineData("0.5", 1800)]
    [InlineData("30m", 1800)]
    [InlineData("1h30m", 5400)]
    [InlineData("90s", 90)]
    public void RetentionReadsLikeEtcd(string text, int seconds) =>
        Assert.Equal(TimeSpan.FromSeconds(seconds), AutoCompactor.ParseDuration(text));

    [Theory]
    [InlineData("1x")]
    [InlineData("h")]
    [InlineData("-1")]
    public void BadRetentionIsRefused(string text) => Assert.Throws<FormatException>(() => AutoCompactor.ParseDuration(text));

    [Fact]
    public async Task SnapshotEnvelopeIsPaddedHashedAndChecked()
    {
        var path = Path.GetTempFileName();
        try
        {
            var body = new byte[1000];
            Random.Shared.NextBytes(body);
            await using (var f = new FileStream(path, FileMode.Create, FileAccess.ReadWrite))
            {
                await f.WriteAsync(body);
                await SnapshotFile.SealAsync(f, CancellationToken.None);
            }

            var bytes = await File.ReadAllBytesAsync(path);
            Assert.Equal(1024 + 32, bytes.Length); // as etcdctl checks: (size - 32) % 512 == 0
            using (var s = SnapshotFile.Open(path))
            {
                var read = new byte[1000];
                s.ReadExactly(read);
                Assert.Equal(body, read);
            }

            bytes[10] ^= 1;
            await File.WriteAllBytesAsync(path, bytes);
            Assert.Contains("sha256", Assert.Throws<InvalidDataException>(() => SnapshotFile.Open(path)).Message);
            await File.WriteAllBytesAsync(path, bytes[..100]);
            Assert.Contains("sha256 checksum not found", Assert.Throws<InvalidDataException>(() => SnapshotFile.Open(path)).Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
