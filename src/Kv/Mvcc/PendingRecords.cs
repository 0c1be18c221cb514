using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Mvcc;

/// <summary>
/// Records applied but not yet stored in FASTER, encoded back to back exactly as a WAL
/// <see cref="WalEntryType.Write"/> entry holds them (<c>sub varint | length varint | record</c>).
/// <para>
/// The writer encodes each record here once; the revision's WAL entry is its header followed by the revision's
/// slice of these bytes (<see cref="WalWrite"/>), and the committer upserts the records into FASTER while the WAL
/// flush of the same round is in flight (<see cref="UpsertInto"/>), instead of the writer doing it inline: the
/// upsert (with the page faults of FASTER's fresh log pages) was a third of the writer's time, on a thread every
/// write waits for, while the committer mostly waits for its fsync.
/// </para>
/// One thread at a time: the writer under the store's write lock, or the committer once it has taken the buffer
/// (under that lock) for its round.
/// </summary>
internal sealed class PendingRecords
{
    private const int InitialBytes = 64 << 10;

    /// <summary>A buffer grown past this (a txn of large values) is given back once it has been stored.</summary>
    private const int KeepBytes = 8 << 20;

    private byte[] _bytes = new byte[InitialBytes];
    private Item[] _items = new Item[256];
    private int _length;
    private int _count;
    private int _revisionStart;
    private int _revisionFirstItem;

    /// <summary>Records in the buffer, all revisions.</summary>
    public int Count => _count;

    /// <summary>Records [0, StoredCount) are in FASTER already (a write that read its own records stored them).</summary>
    public int StoredCount { get; private set; }

    /// <summary>Records of the revision being applied.</summary>
    public int RevisionCount => _count - _revisionFirstItem;

    /// <summary>The encoded records of the revision being applied, as its WAL entry holds them.</summary>
    public ReadOnlySpan<byte> RevisionEncoded => _bytes.AsSpan(_revisionStart, _length - _revisionStart);

    /// <summary>Bytes of the revision's records (<see cref="RevisionEncoded"/>).</summary>
    public int RevisionLength => _length - _revisionStart;

    /// <summary>Starts the records of the next revision.</summary>
    public void BeginRevision()
    {
        _revisionStart = _length;
        _revisionFirstItem = _count;
    }

    /// <summary>
    /// Appends the record of a put or a delete (see <see cref="RecordCodec"/>) at <paramref name="at"/>;
    /// <paramref name="entry"/>, the key's index entry, learns the record's address once it is stored.
    /// </summary>
    public void Add(Revision at, byte[] key, byte[] value, long create, long version, long lease, bool tombstone, KeyIndex? entry)
    {
        int size = RecordCodec.EncodedSize(key.Length, value.Length, create, version, lease);
        int head = WalEntry.RecordHeaderSize(at.Sub, size);
        int end = _length + head + size;
        if (end > _bytes.Length)
        {
            Array.Resize(ref _bytes, (int)Math.Min(Array.MaxLength, Math.Max(end, 2L * _bytes.Length)));
        }

        if (_count == _items.Length)
        {
            Array.Resize(ref _items, _items.Length * 2);
        }

        var span = _bytes.AsSpan(_length);
        WalEntry.WriteRecordHeader(span, at.Sub, size);
        RecordCodec.EncodeTo(span.Slice(head, size), key, value, create, version, lease, tombstone);
        _items[_count++] = new Item(at, _length + head, size, entry);
        _length = end;
    }

    /// <summary>Stores the records not stored yet into FASTER, in order, and gives each index entry its record's address.</summary>
    public void UpsertInto(FasterRecordStore records)
    {
        for (int i = StoredCount; i < _count; i++)
        {
            ref readonly var item = ref _items[i];
            long address = records.Upsert(item.At, _bytes.AsSpan(item.Offset, item.Length));
            item.Entry?.SetAddress(address);
        }

        StoredCount = _count;
    }

    /// <summary>Empties the buffer (every record in it stored) for reuse.</summary>
    public void Reset()
    {
        Array.Clear(_items, 0, _count); // drop the index entries' references
        _length = _count = _revisionStart = _revisionFirstItem = StoredCount = 0;
        if (_bytes.Length > KeepBytes)
        {
            _bytes = new byte[InitialBytes];
        }

        if (_items.Length > KeepBytes / 256)
        {
            _items = new Item[256];
        }
    }

    private readonly record struct Item(Revision At, int Offset, int Length, KeyIndex? Entry);
}
