using System.Buffers.Binary;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Storage;

internal enum WalEntryType : byte
{
    /// <summary>The records of one revision; optionally the lease whose revocation produced them.</summary>
    Write = 1,
    LeaseGrant = 2,
    LeaseRevoke = 3,
    Compact = 4,
}

/// <summary>One WAL entry. Replaying entries in order rebuilds exactly the state they describe.</summary>
internal sealed record WalEntry(WalEntryType Type, long AppliedIndex) : FASTER.core.ILogEnqueueEntry
{
    public long Revision { get; init; }
    public List<(int Sub, byte[] Record)> Records { get; init; } = [];
    public long LeaseId { get; init; }
    public long LeaseTtl { get; init; }

    private int _length = -1;

    /// <summary>Bytes of the encoded entry (computed once; the entry is not changed after it is appended).</summary>
    public int SerializedLength
    {
        get
        {
            if (_length < 0)
            {
                int size = HeaderSize(Records.Count);
                foreach (var (sub, rec) in Records)
                {
                    size += RecordHeaderSize(sub, rec.Length) + rec.Length;
                }

                _length = size;
            }

            return _length;
        }
    }

    public byte[] Encode()
    {
        var buf = new byte[SerializedLength];
        SerializeTo(buf);
        return buf;
    }

    /// <summary>Writes the entry straight into the log's buffer (no intermediate array).</summary>
    public void SerializeTo(Span<byte> span)
    {
        int p = WriteHeader(span, Type, AppliedIndex, Revision, LeaseId, LeaseTtl, Records.Count);
        foreach (var (sub, rec) in Records)
        {
            p += WriteRecordHeader(span[p..], sub, rec.Length);
            rec.CopyTo(span[p..]);
            p += rec.Length;
        }
    }

    /// <summary>Bytes of an entry's fixed fields and record count.</summary>
    public static int HeaderSize(int records) => 1 + (8 * 4) + RecordCodec.VarintSize(records);

    /// <summary>Writes an entry's fixed fields and record count; returns their length (the records follow).</summary>
    public static int WriteHeader(Span<byte> span, WalEntryType type, long appliedIndex, long revision, long leaseId, long leaseTtl, int records)
    {
        span[0] = (byte)type;
        BinaryPrimitives.WriteInt64LittleEndian(span[1..], appliedIndex);
        BinaryPrimitives.WriteInt64LittleEndian(span[9..], revision);
        BinaryPrimitives.WriteInt64LittleEndian(span[17..], leaseId);
        BinaryPrimitives.WriteInt64LittleEndian(span[25..], leaseTtl);
        return 33 + RecordCodec.WriteVarint(span[33..], records);
    }

    /// <summary>Bytes before each record of a write entry: its sub-revision and its length.</summary>
    public static int RecordHeaderSize(int sub, int length) => RecordCodec.VarintSize(sub) + RecordCodec.VarintSize(length);

    /// <summary>Writes what precedes a record in a write entry (<see cref="RecordHeaderSize"/> bytes); returns its length.</summary>
    public static int WriteRecordHeader(Span<byte> span, int sub, int length)
    {
        int p = RecordCodec.WriteVarint(span, sub);
        return p + RecordCodec.WriteVarint(span[p..], length);
    }

    public static WalEntry Decode(byte[] data)
    {
        using var r = new BinaryReader(new MemoryStream(data));
        var type = (WalEntryType)r.ReadByte();
        long applied = r.ReadInt64();
        var e = new WalEntry(type, applied) { Revision = r.ReadInt64(), LeaseId = r.ReadInt64(), LeaseTtl = r.ReadInt64() };
        int n = r.Read7BitEncodedInt();
        for (int i = 0; i < n; i++)
        {
            int sub = r.Read7BitEncodedInt();
            e.Records.Add((sub, r.ReadBytes()));
        }

        return e;
    }
}

/// <summary>
/// The <see cref="WalEntryType.Write"/> entry of the revision being applied, whose records are in the writer's
/// <see cref="PendingRecords"/>: the same bytes as a <see cref="WalEntry"/> holding them, written into the log
/// without an object per entry.
/// </summary>
internal readonly struct WalWrite(long appliedIndex, long revision, long revokedLease, PendingRecords records) : FASTER.core.ILogEnqueueEntry
{
    public int SerializedLength => WalEntry.HeaderSize(records.RevisionCount) + records.RevisionLength;

    public void SerializeTo(Span<byte> span)
    {
        int p = WalEntry.WriteHeader(span, WalEntryType.Write, appliedIndex, revision, revokedLease, 0, records.RevisionCount);
        records.RevisionEncoded.CopyTo(span[p..]);
    }
}

/// <summary>The store's metadata, written into every checkpoint.</summary>
internal sealed record StoreMeta(long Revision, long CompactRevision, long AppliedIndex, long WalAddress, List<(long Id, long Ttl)> Leases)
{
    // A new store is at revision 1 with nothing in it, as etcd's: the first write takes revision 2.
    public static readonly StoreMeta Empty = new(1, 0, 0, 0, []);

    public void WriteTo(BinaryWriter w)
    {
        w.Write((byte)1);
        w.Write(Revision);
        w.Write(CompactRevision);
        w.Write(AppliedIndex);
        w.Write(WalAddress);
        w.Write7BitEncodedInt(Leases.Count);
        foreach (var (id, ttl) in Leases)
        {
            w.Write(id);
            w.Write(ttl);
        }
    }

    public static StoreMeta ReadFrom(BinaryReader r)
    {
        if (r.ReadByte() != 1)
        {
            throw KvException.Corrupt("unknown meta version");
        }

        var m = new StoreMeta(r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), r.ReadInt64(), []);
        int n = r.Read7BitEncodedInt();
        for (int i = 0; i < n; i++)
        {
            m.Leases.Add((r.ReadInt64(), r.ReadInt64()));
        }

        return m;
    }

    public byte[] Encode()
    {
        using var ms = new MemoryStream();
        using (var w = new BinaryWriter(ms))
        {
            WriteTo(w);
        }

        return ms.ToArray();
    }

    public static StoreMeta Decode(byte[] data)
    {
        using var r = new BinaryReader(new MemoryStream(data));
        return ReadFrom(r);
    }
}
