using System.Text;
using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Tests.Storage;

/// <summary>
/// A revision's records are encoded once into the writer's <see cref="RecordBuffer"/> and written to the WAL from
/// there (<see cref="WalWrite"/>): the entry must be byte for byte what a <see cref="WalEntry"/> holding the same
/// records writes, so replay (which decodes <see cref="WalEntry"/>) and logs written before the change read alike.
/// </summary>
public sealed class RecordBufferTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public void A_write_entry_from_the_buffer_is_the_same_bytes_as_one_from_record_arrays()
    {
        var buffer = new RecordBuffer();
        var records = new List<(int Sub, byte[] Record)>();
        var bigValue = new byte[300];
        Random.Shared.NextBytes(bigValue);
        var puts = new (byte[] Key, byte[] Value, long Create, long Version, long Lease, bool Tombstone)[]
        {
            (B("a"), B("1"), 7, 1, 0, false),
            (B("key/with/a/longer/name"), bigValue, 3, 200, 0x1234_5678_9abc, false),
            (B("gone"), [], 0, 0, 0, true),
        };
        for (int sub = 0; sub < puts.Length; sub++)
        {
            var p = puts[sub];
            var span = buffer.Add(sub, p.Key, p.Value, p.Create, p.Version, p.Lease, p.Tombstone);
            var array = RecordCodec.Encode(p.Key, p.Value, p.Create, p.Version, p.Lease, p.Tombstone);
            Assert.Equal(array, span.ToArray());
            records.Add((sub, array));
        }

        var fromBuffer = new WalWrite(42, 9, 77, buffer);
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
    public void Clearing_starts_the_next_revision_empty_and_gives_back_a_grown_buffer()
    {
        var buffer = new RecordBuffer();
        var big = new byte[3 << 20];
        buffer.Add(0, B("k"), big, 1, 1, 0, false);
        Assert.Equal(1, buffer.Count);
        Assert.True(buffer.Length > big.Length);

        buffer.Clear();
        Assert.Equal((0, 0), (buffer.Count, buffer.Length));
        var span = buffer.Add(0, B("k"), B("v"), 2, 1, 0, false);
        Assert.Equal(RecordCodec.Encode(B("k"), B("v"), 2, 1, 0, false), span.ToArray());
        Assert.Equal(1, buffer.Count);
    }
}
