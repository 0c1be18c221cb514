using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Tests.Storage;

/// <summary>A write whose WAL entry is larger than a log page (a big txn, a delete of many keys) is split in parts and replayed whole.</summary>
public sealed class LargeEntryTests
{
    [Fact]
    public async Task TxnAndDeleteLargerThanALogPageSurviveReopen()
    {
        await using var t = TempStore.Create();
        var value = new byte[50_000];
        Random.Shared.NextBytes(value);
        // 120 puts of 50 KB in one txn: a 6 MB WAL entry, over FasterLog's 4 MiB page.
        var puts = Enumerable.Range(0, 120).Select(i => RequestOp.Of(new PutRequest(Key(i), value))).ToList();
        var txn = await t.Store.TxnAsync(new TxnRequest([], puts, []));
        Assert.True(txn.Succeeded);
        long putRev = txn.Revision;
        var del = await t.Store.DeleteRangeAsync(new DeleteRangeRequest(Key(0), Key(100)) { PrevKv = true });
        Assert.Equal(100, del.Deleted);

        await t.ReopenAsync();
        Assert.Equal(del.Revision, t.Store.Revision);
        var now = t.Store.Range(new RangeRequest(Key(0), [0]));
        Assert.Equal(20, now.Count);
        Assert.Equal(value, now.Kvs[0].Value);
        var before = t.Store.Range(new RangeRequest(Key(0), [0]) { Revision = putRev });
        Assert.Equal(120, before.Count);
        Assert.All(before.Kvs, kv => Assert.Equal(putRev, kv.ModRevision));
        Assert.Empty(t.Store.CheckConsistency());
    }

    private static byte[] Key(int i) => System.Text.Encoding.UTF8.GetBytes($"big/{i:D4}");
}
