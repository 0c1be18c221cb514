namespace KvCluster.Kv.Storage;

/// <summary>
/// The records of one revision, encoded back to back exactly as a WAL <see cref="WalEntryType.Write"/> entry
/// holds them (<c>sub varint | length varint | record</c>), in one buffer the writer reuses for every revision.
/// A put encodes its record here once: FASTER's upsert copies it from here, and the WAL entry is the header
/// followed by these bytes. Before, each put allocated its record array and a list entry for it, and each
/// revision its list and its WAL entry object: a third of the bytes a put allocated. One writer at a time
/// (the store's write lock).
/// </summary>
internal sealed class RecordBuffer
{
    private const int InitialBytes = 4096;

    /// <summary>A buffer grown past this (a txn of large values) is given back when the next revision starts.</summary>
    private const int KeepBytes = 1 << 20;

    private byte[] _bytes = new byte[InitialBytes];

    /// <summary>Records in the buffer.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes in the buffer.</summary>
    public int Length { get; private set; }

    /// <summary>The encoded records, as the WAL entry holds them.</summary>
    public ReadOnlySpan<byte> Encoded => _bytes.AsSpan(0, Length);

    /// <summary>Empties the buffer for the next revision.</summary>
    public void Clear()
    {
        Count = 0;
        Length = 0;
        if (_bytes.Length > KeepBytes)
        {
            _bytes = new byte[InitialBytes];
        }
    }

    /// <summary>
    /// Appends the record of a put or a delete (see <see cref="RecordCodec"/>) with its sub-revision; returns the
    /// record's bytes, valid until the next call.
    /// </summary>
    public ReadOnlySpan<byte> Add(int sub, byte[] key, byte[] value, long create, long version, long lease, bool tombstone)
    {
        int size = RecordCodec.EncodedSize(key.Length, value.Length, create, version, lease);
        int head = RecordCodec.VarintSize(sub) + RecordCodec.VarintSize(size);
        int end = Length + head + size;
        if (end > _bytes.Length)
        {
            Array.Resize(ref _bytes, (int)Math.Min(Array.MaxLength, Math.Max(end, 2L * _bytes.Length)));
        }

        var span = _bytes.AsSpan(Length);
        int p = RecordCodec.WriteVarint(span, sub);
        p += RecordCodec.WriteVarint(span[p..], size);
        var record = span.Slice(p, size);
        RecordCodec.EncodeTo(record, key, value, create, version, lease, tombstone);
        Length = end;
        Count++;
        return record;
    }
}
