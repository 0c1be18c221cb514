using System.Text;
using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Tests.Mvcc;

/// <summary>
/// A revision's records are encoded once into the writer's <see cref="PendingRecords"/>; its WAL entry is written
/// from there (<see cref="WalWrite"/>) and must be byte for byte what a <see cref="WalEntry"/> holding the same
/// records writes, so replay (which decodes <see cref="WalEntry"/>) and logs written before the change read alike.
/// The committer stores the records into FASTER later, each once, and the index entries learn their addresses.
/// </summary>
public sealed class PendingRecordsTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static readonly (byte[] Key, byte[] Value, long Create, long Version, long Lease, bool Tombstone)[] Puts =
    [
        (B("a"), B("1"), 7, 1, 0, false),
        (B("key/with/a/longer/name"), Enumerable.Range(0, 300).Select(i => (byte)i).ToArray(), 3, 200, 0x1234_5678_9abc, false),
        (B("gone"), [], 0, 0, 0, true),
    ];

    [Fact]
    public void A_revisions_write_entry_is_the_same_bytes_as_one_from_record_arrays()
    {
        var pending = new PendingRecords();
        pending.BeginRevision();
        pending.Add(new Revision(8, 0), B("earlier"), B("revision"), 8, 1, 0, false, entry: null);
        pending.BeginRevision();
        var records = new List<(int Sub, byte[] Record)>();
        for (int sub = 0; sub < Puts.Length; sub++)
        {
            var p = Puts[sub];
            pending.Add(new Revision(9, sub), p.Key, p.Value, p.Create, p.Version, p.Lease, p.Tombstone, entry: null);
            records.Add((sub, RecordCodec.Encode(p.Key, p.Value, p.Create, p.Version, p.Lease, p.Tombstone)));
        }

        Assert.Equal((4, 3), (pending.Count, pending.RevisionCount));
        var fromBuffer = new WalWrite(42, 9, 77, pending);
        var fromArrays = new WalEntry(WalEntryType.Write, 42) { Revision = 9, LeaseId = 77, Records = records };
        var bytes = new byte[fromBuffer.SerializedLength];
        fromBuffer.SerializeTo(bytes);
        Assert.Equal(fromArrays.Encode(), bytes);

        var decoded = WalEntry.Decode(bytes);
        Assert.Equal((WalEntryType.Write, 42L, 9L, 77L), (decoded.Type, decoded.AppliedIndex, decoded.Revision, decoded.LeaseId));
        Assert.Equal(records.Select(r => r.Sub), decoded.Records.Select(r => r.Sub));
        Assert.Equal(records.Select(r => r.Record), decoded.Records.Select(r => r.Record));
    }

    [Fact]
    public void Records_are_stored_once_each_with_their_addresses_and_the_buffer_empties_for_reuse()
    {
        string dir = TempStore.NewDir();
        try
        {
            using var faster = new FasterRecordStore(dir, new StorageOptions { IndexBytes = 1 << 16, MemoryBytes = 1 << 22, PageBytes = 1 << 16 });
            var pending = new PendingRecords();
            var entries = Puts.Select(p => new KeyIndex(p.Key)).ToArray();
            pending.BeginRevision();
            for (int sub = 0; sub < 2; sub++)
            {
                var p = Puts[sub];
                pending.Add(new Revision(5, sub), p.Key, p.Value, p.Create, p.Version, p.Lease, p.Tombstone, entries[sub]);
            }

            pending.UpsertInto(faster); // a write read its own records: the first two are stored now
            Assert.Equal(2, pending.StoredCount);
            var last = Puts[2];
            pending.Add(new Revision(5, 2), last.Key, last.Value, last.Create, last.Version, last.Lease, last.Tombstone, entries[2]);
            pending.UpsertInto(faster); // the committer stores the rest
            Assert.Equal(3, pending.StoredCount);

            for (int sub = 0; sub < Puts.Length; sub++)
            {
                var p = Puts[sub];
                Assert.Equal(RecordCodec.Encode(p.Key, p.Value, p.Create, p.Version, p.Lease, p.Tombstone), faster.Read(new Revision(5, sub)));
                entries[sub].Put(new Revision(5, sub), 0);
                Assert.True(entries[sub].TryGetConcurrent(5, out _, out long address));
                Assert.NotEqual(0, address);
                Assert.NotNull(faster.ReadKeyValueAt(address, new Revision(5, sub), p.Key));
            }

            pending.Reset();
            Assert.Equal((0, 0, 0), (pending.Count, pending.StoredCount, pending.RevisionLength));
            var big = new byte[9 << 20];
            pending.BeginRevision();
            pending.Add(new Revision(6, 0), B("k"), big, 6, 1, 0, false, entry: null);
            Assert.True(pending.RevisionLength > big.Length);
            pending.Reset(); // gives the grown buffer back
            Assert.Equal((0, 0), (pending.Count, pending.RevisionLength));
            pending.BeginRevision();
            pending.Add(new Revision(7, 0), B("k"), B("v"), 6, 2, 0, false, entry: null);
            Assert.Equal(RecordCodec.Encode(B("k"), B("v"), 6, 2, 0, false).Length + 2, pending.RevisionLength);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
