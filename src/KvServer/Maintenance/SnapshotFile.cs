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

    /// <summary>
    /// Checks the envelope (reading the file once, in blocks: snapshots may be larger than memory) and
    /// returns the file, at its start: the engine's reader stops at the end of its own format, before
    /// the padding and the hash.
    /// </summary>
    public static Stream Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 16);
        try
        {
            long body = file.Length - SHA256.HashSizeInBytes;
            if (body < 0 || body % Page != 0)
            {
                throw new InvalidDataException($"sha256 checksum not found [bytes: {file.Length}]");
            }

            using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            var buffer = new byte[1 << 16];
            for (long left = body; left > 0;)
            {
                int n = file.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
                if (n == 0)
                {
                    throw new InvalidDataException("snapshot file ended early");
                }

                sha.AppendData(buffer, 0, n);
                left -= n;
            }

            var expected = new byte[SHA256.HashSizeInBytes];
            file.ReadExactly(expected);
            if (!sha.GetHashAndReset().AsSpan().SequenceEqual(expected))
            {
                throw new InvalidDataException("expected sha256 does not match the snapshot's contents (corrupt snapshot file)");
            }

            file.Position = 0;
            return file;
        }
        catch
        {
            file.Dispose();
            throw;
        }
    }
}
