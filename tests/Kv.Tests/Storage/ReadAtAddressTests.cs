using System.Text;
using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Tests.Storage;

/// <summary>
/// Single-key reads of a key's newest revision go straight to its record's address in FASTER's log (a hint the
/// index keeps), skipping the hash lookup; a hint that no longer holds must fall back, never give another record.
/// </summary>
public sealed class ReadAtAddressTests
{
    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string S(byte[] b) => Encoding.UTF8.GetString(b);

    [Fact]
    public void A_record_is_read_at_its_address_and_only_as_the_revision_it_is()
    {
        string dir = TempStore.NewDir();
        try
        {
            using var records = new FasterRecordStore(dir, new StorageOptions { IndexBytes = 1L << 16, MemoryBytes = 1L << 24, PageBytes = 1L << 20 });
            var key = B("k");
            var r1 = new Revision(5, 0);
            var r2 = new Revision(6, 0);
            long a1 = records.Upsert(r1, RecordCodec.Encode(key, B("v1"), 5, 1, 0, tombstone: false));
            long a2 = records.Upsert(r2, RecordCodec.Encode(key, B("v2"), 5, 2, 7, tombstone: false));
            Assert.True(a1 > 0 && a2 > a1, $"{a1} {a2}");

            var kv = records.ReadKeyValueAt(a2, r2, key);
            Assert.NotNull(kv);
            Assert.Equal(("v2", 5L, 6L, 2L, 7L), (S(kv.Value), kv.CreateRevision, kv.ModRevision, kv.Version, kv.Lease));
            Assert.Same(key, kv.Key);
            Assert.Equal("v1", S(records.ReadKeyValueAt(a1, r1, key)!.Value));

            // The record at an address is another revision's: not this one.
            Assert.Null(records.ReadKeyValueAt(a1, r2, key));
            Assert.Null(records.ReadKeyValueAt(a2, r1, key));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Single_key_reads_stay_right_through_overwrites_deletes_evictions_compaction_and_a_reopen()
    {
        // A 16 MiB in-memory log: three rounds of 20,000 values of 300 bytes push the oldest pages to disk.
        await using var t = TempStore.Create();
        const int keys = 20_000;
        var pad = new string('p', 300);
        var expected = new Dictionary<int, string?>();
        for (int round = 0; round < 3; round++)
        {
            // In batches (one WAL flush each), as the Raft apply loop writes.
            for (int from = 0; from < keys; from += 1000)
            {
                int r = round;
                await t.Store.ApplyAsync([.. Enumerable.Range(from, 1000).Select(i => new RequestOp { Put = new PutRequest(B($"k{i:D5}"), B($"{r}-{i}-{pad}")) })]);
            }

            for (int i = 0; i < keys; i++)
            {
                expected[i] = $"{round}-{i}-{pad}";
            }
        }

        long beforeDeletes = t.Store.Revision;
        var deletes = Enumerable.Range(0, keys).Where(i => i % 7 == 0).ToList();
        await t.Store.ApplyAsync([.. deletes.Select(i => new RequestOp { DeleteRange = new DeleteRangeRequest(B($"k{i:D5}")) })]);
        deletes.ForEach(i => expected[i] = null);
        var again = Enumerable.Range(0, keys).Where(i => i % 14 == 0).ToList();
        await t.Store.ApplyAsync([.. again.Select(i => new RequestOp { Put = new PutRequest(B($"k{i:D5}"), B($"again-{i}")) })]);
        again.ForEach(i => expected[i] = $"again-{i}");

        void Check(string when)
        {
            for (int i = 0; i < keys; i += 3)
            {
                var kvs = t.Store.Range(new RangeRequest(B($"k{i:D5}"))).Kvs;
                Assert.True(expected[i] == (kvs.Count == 0 ? null : S(kvs[0].Value)), $"{when}: k{i:D5}");
            }
        }

        Check("after the writes");

        // A read at an older revision is of a revision that is not the newest: by key, and right.
        var old = t.Store.Range(new RangeRequest(B("k00000")) { Revision = beforeDeletes }).Kvs;
        Assert.Equal($"2-0-{pad}", S(Assert.Single(old).Value));

        await t.Store.CompactAsync(t.Store.Revision, physical: true);
        Check("after a physical compaction");
        await t.ReopenAsync();
        Check("after a reopen");
        var late = Enumerable.Range(0, keys).Where(i => i % 7 == 1).ToList();
        await t.Store.ApplyAsync([.. late.Select(i => new RequestOp { Put = new PutRequest(B($"k{i:D5}"), B($"late-{i}")) })]);
        late.ForEach(i => expected[i] = $"late-{i}");
        await t.Store.PutAsync(new PutRequest(B("k00003"), B("single")));
        expected[3] = "single";

        Check("after writes following the reopen");
        Assert.Empty(t.Store.CheckConsistency());
    }
}
