using System.Security.Cryptography;

namespace KvCluster.KvServer.Maintenance;

/// <summary>
/// The envelope etcd puts around a snapshot stream, which etcdctl 3.4 checks on `snapshot save`: the
/// body padded with zeros to a multiple of 512 bytes, then the SHA-256 of the padded body (32 bytes).
/// </summary>
public static class SnapshotFile
{
    private const int Page = 512;

    /// <summary>Pads the body written so far and appends its SHA-256.</summary>
    public static async Task SealAsync(FileStream file, CancellationToken ct)
    {
        long pad = (Page - (file.Length % Page)) % Page;
        file.Seek(0, SeekOrigin.End);
        await file.WriteAsync(new byte[pad], ct);
        await file.FlushAsync(ct);
        file.Seek(0, SeekOrigin.Begin);
        var hash = await SHA256.HashDataAsync(file, ct);
        file.Seek(0, SeekOrigin.End);
        await file.WriteAsync(hash, ct);
    }

    /// <summary>Checks the envelope and returns a stream over the body (padding included; the engine's reader stops at its own end).</summary>
    public static Stream Open(string path)
    {
        var bytes = File.ReadAllBytes(path);
        int body = bytes.Length - SHA256.HashSizeInBytes;
        if (body < 0 || body % Page != 0)
        {
            throw new InvalidDataException($"sha256 checksum not found [bytes: {bytes.Length}]");
        }

        if (!SHA256.HashData(bytes.AsSpan(0, body)).AsSpan().SequenceEqual(bytes.AsSpan(body)))
        {
            throw new InvalidDataException("expected sha256 does not match the snapshot's contents (corrupt snapshot file)");
        }

        return new MemoryStream(bytes, 0, body, writable: false);
    }
}
