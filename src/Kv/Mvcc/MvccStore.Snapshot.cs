using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Mvcc;

public sealed partial class MvccStore
{
    private static readonly byte[] SnapshotMagic = "KVSNAP01"u8.ToArray();

    public HashKvResponse HashKv(long revision)
    {
        long current = Revision;
        long rev = revision <= 0 ? current : revision;
        CheckReadable(rev, current);
        var crc = new Crc32C();
        foreach (var (packed, _) in _index.Revisions(rev))
        {
            var at = Mvcc.Revision.Unpack(packed);
            crc.Append(packed);
            crc.Append(_records.Read(at) ?? throw KvException.Compacted());
        }

        // As in RangeAt: a compaction racing this hash may have removed revisions it should include.
        long compact = CompactRevision;
        if (rev < compact)
        {
            throw KvException.Compacted();
        }

        // etcd reports -1 for a store never compacted.
        return new HashKvResponse(current, crc.Value, compact == 0 && !Volatile.Read(ref _everCompacted) ? -1 : compact);
    }

    /// <summary>
    /// Writes a consistent snapshot of the whole store as of <see cref="Revision"/>: metadata, leases and
    /// every record the index holds, followed by a CRC-32C of all of it. Writers are not blocked.
    /// </summary>
    public async Task<long> SnapshotAsync(Stream output, CancellationToken ct = default)
    {
        await _compactGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            // One consistent cut: the newest applied revision with the Raft position that produced it
            // and the leases as of then (a snapshot sent to a Raft follower resumes right after it).
            StoreMeta meta;
            lock (_writeLock)
            {
                meta = new StoreMeta(_applied, CompactRevision, _appliedIndex, 0, _lessor.Export());
            }

            long rev = meta.Revision;
            var entries = _index.Revisions(rev);
            var crc = new Crc32C();
            using var w = new BinaryWriter(new CrcStream(output, c => crc.Append(c)), System.Text.Encoding.UTF8, leaveOpen: true);
            w.Write(SnapshotMagic);
            meta.WriteTo(w);
            w.Write((long)entries.Count);
            foreach (var (packed, _) in entries)
            {
                w.Write(packed);
                w.WriteBytes(_records.Read(Mvcc.Revision.Unpack(packed)) ?? throw KvException.Corrupt("snapshot record missing"));
            }

            w.Flush();
            w.Write(crc.Value);
            await output.FlushAsync(ct).ConfigureAwait(false);
            return rev;
        }
        finally
        {
            _compactGate.Release();
        }
    }

    KeyValue? Watch.IEventSource.PrevKv(byte[] key, long revision) => PrevOrNull(key, revision);

    /// <summary>The previous value for an event's prev_kv; null when compaction has removed it (etcd sends none then either).</summary>
    private KeyValue? PrevOrNull(byte[] key, long atRev)
    {
        try
        {
            return Get(key, atRev);
        }
        catch (KvException e) when (e.Code == KvErrorCode.Compacted)
        {
            return null;
        }
    }

    /// <summary>Creates a new store in <paramref name="options"/>' data dir from a snapshot stream. The dir must be empty.</summary>
    public static MvccStore Restore(Stream input, StoreOptions options)
    {
        if (Directory.Exists(options.DataDir) && Directory.EnumerateFileSystemEntries(options.DataDir).Any())
        {
            throw new IOException($"data dir {options.DataDir} is not empty");
        }

        var crc = new Crc32C();
        using var r = new BinaryReader(new CrcStream(input, c => crc.Append(c)), System.Text.Encoding.UTF8, leaveOpen: true);
        if (!r.ReadBytes(SnapshotMagic.Length).AsSpan().SequenceEqual(SnapshotMagic))
        {
            throw KvException.Corrupt("not a snapshot");
        }

        var meta = StoreMeta.ReadFrom(r);
        long n = r.ReadInt64();
        using (var records = new FasterRecordStore(Path.Combine(options.DataDir, "records"), options.Storage))
        {
            for (long i = 0; i < n; i++)
            {
                long packed = r.ReadInt64();
                records.Upsert(Mvcc.Revision.Unpack(packed), r.ReadBytes());
            }

            uint expected = crc.Value;
            uint actual = new BinaryReader(input).ReadUInt32();
            if (expected != actual)
            {
                records.Dispose();
                Directory.Delete(options.DataDir, recursive: true);
                throw KvException.Corrupt($"snapshot checksum mismatch (expected {expected:x8}, got {actual:x8})");
            }

            records.CheckpointAsync((meta with { WalAddress = 0 }).Encode(), CancellationToken.None).GetAwaiter().GetResult();
        }

        return Open(options);
    }

    List<(long Revision, List<Event> Events)> Watch.IEventSource.ReadEvents(long from, long to, bool withPrevKv)
    {
        var result = new List<(long, List<Event>)>();
        for (long main = from; main <= to; main++)
        {
            var events = new List<Event>();
            for (int sub = 0; ; sub++)
            {
                var rec = _records.Read(new Revision(main, sub));
                if (rec is null)
                {
                    break;
                }

                var kv = RecordCodec.Decode(rec, main, out bool tombstone);
                var prev = withPrevKv ? PrevOrNull(kv.Key, main - 1) : null;
                events.Add(tombstone
                    ? new Event(EventType.Delete, new KeyValue(kv.Key, [], 0, main, 0, 0), prev)
                    : new Event(EventType.Put, kv, prev));
            }

            if (events.Count == 0 && main >= CompactRevision && main > 1)
            {
                // Every revision but the new store's empty revision 1 has at least one record; a missing
                // one means compaction removed it meanwhile.
                throw KvException.Compacted();
            }

            result.Add((main, events));
        }

        return result;
    }
}

/// <summary>A pass-through stream that reports every byte read or written, for checksumming.</summary>
internal sealed class CrcStream(Stream inner, Action<ReadOnlySpan<byte>> observe) : Stream
{
    public override bool CanRead => inner.CanRead;
    public override bool CanSeek => false;
    public override bool CanWrite => inner.CanWrite;
    public override long Length => throw new NotSupportedException("CrcStream is not seekable");
    public override long Position { get => throw new NotSupportedException("CrcStream is not seekable"); set => throw new NotSupportedException("CrcStream is not seekable"); }

    public override void Flush() => inner.Flush();

    public override int Read(byte[] buffer, int offset, int count)
    {
        int n = inner.Read(buffer, offset, count);
        observe(buffer.AsSpan(offset, n));
        return n;
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        observe(buffer.AsSpan(offset, count));
        inner.Write(buffer, offset, count);
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException("CrcStream is not seekable");

    public override void SetLength(long value) => throw new NotSupportedException("CrcStream is not seekable");
}
