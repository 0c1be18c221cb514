using KvCluster.Kv.Mvcc;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Mvcc;

public sealed class TxnTests
{
    private static RequestOp Put(string k, string v) => RequestOp.Of(new PutRequest(B(k), B(v)));

    private static RequestOp Del(string k, string? end = null) => RequestOp.Of(new DeleteRangeRequest(B(k), end is null ? null : B(end)));

    private static RequestOp Get(string k, string? end = null) => RequestOp.Of(new RangeRequest(B(k), end is null ? null : B(end)));

    [Fact]
    public async Task WritesShareOneRevisionWithSubRevisionsAndReadsSeeEarlierOps()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        var r = await s.TxnAsync(new TxnRequest([], [Put("a", "1"), Put("b", "2"), Get("a", "c")], []));
        Assert.True(r.Succeeded);
        Assert.Equal(2, r.Revision);
        var read = r.Responses[2].Range!;
        Assert.Equal(["a", "b"], read.Kvs.Select(k => S(k.Key)));
        Assert.All(read.Kvs, kv => Assert.Equal(2, kv.ModRevision));
    }

    /// <summary>
    /// Records reach FASTER from the committer, a round after they are applied: a write that reads what the
    /// writes just before it applied (prev_kv, ignore_value, a compare on a value, a txn's range) must still
    /// find them. Requests sent together are applied in one batch, before any of them is stored.
    /// </summary>
    [Fact]
    public async Task WritesReadTheRecordsOfTheWritesJustBeforeThemBeforeTheyAreStored()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        const int n = 200;
        var puts = Enumerable.Range(0, n).Select(i => s.PutAsync(new PutRequest(B("k"), B($"v{i}")) { PrevKv = true }).AsTask()).ToList();
        var keep = s.PutAsync(new PutRequest(B("k"), []) { IgnoreValue = true, PrevKv = true }).AsTask();
        var txn = s.TxnAsync(new TxnRequest(
            [new Compare(CompareResult.Equal, CompareTarget.Value, B("k")) { Value = B($"v{n - 1}") }],
            [Put("other", "x"), Get("k"), Get("other")],
            [])).AsTask();
        var batch = s.ApplyAsync([Put("a", "1"), RequestOp.Of(new PutRequest(B("a"), B("2")) { PrevKv = true }), Get("a")]).AsTask();
        var putResults = await Task.WhenAll(puts);
        var kept = await keep;
        var txnResult = await txn;
        var results = await batch;

        Assert.Null(putResults[0].PrevKv);
        for (int i = 1; i < n; i++)
        {
            Assert.Equal($"v{i - 1}", S(putResults[i].PrevKv!.Value));
        }

        Assert.Equal($"v{n - 1}", S(kept.PrevKv!.Value));
        Assert.True(txnResult.Succeeded);
        Assert.Equal($"v{n - 1}", S(txnResult.Responses[1].Range!.Kvs.Single().Value));
        Assert.Equal("x", S(txnResult.Responses[2].Range!.Kvs.Single().Value));
        Assert.Equal("1", S(results[1].Response!.Put!.PrevKv!.Value));
        Assert.Equal("2", S(results[2].Response!.Range!.Kvs.Single().Value));
        Assert.Empty(s.CheckConsistency());
    }

    [Fact]
    public async Task ComparesPickTheBranchAndNestedTxnsRunInOrder()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await s.PutAsync(new PutRequest(B("x"), B("5")));
        var nested = new TxnRequest(
            [new Compare(CompareResult.Equal, CompareTarget.Version, B("missing")) { Version = 0 }],
            [Put("n", "inner-success")],
            [Put("n", "inner-failure")]);
        var r = await s.TxnAsync(new TxnRequest(
            [new Compare(CompareResult.Greater, CompareTarget.Value, B("x")) { Value = B("4") },
             new Compare(CompareResult.Equal, CompareTarget.Mod, B("x")) { ModRevision = 2 }],
            [Put("y", "1"), RequestOp.Of(nested)],
            [Put("z", "1")]));
        Assert.True(r.Succeeded);
        Assert.True(r.Responses[1].Txn!.Succeeded);
        Assert.Equal("inner-success", S(Assert.Single(s.Range(new RangeRequest(B("n"))).Kvs).Value));
        Assert.Empty(s.Range(new RangeRequest(B("z"))).Kvs);

        var failed = await s.TxnAsync(new TxnRequest([new Compare(CompareResult.Less, CompareTarget.Create, B("x")) { CreateRevision = 2 }], [Put("y", "2")], [Get("y")]));
        Assert.False(failed.Succeeded);
        Assert.Equal(3, failed.Revision);
        Assert.Equal("1", S(Assert.Single(failed.Responses[0].Range!.Kvs).Value));
    }

    [Fact]
    public async Task RangeCompareRequiresEveryKeyAndValueCompareOnMissingKeyFails()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await s.PutAsync(new PutRequest(B("p/1"), B("v")));
        await s.PutAsync(new PutRequest(B("p/2"), B("v")));
        var all = new Compare(CompareResult.Equal, CompareTarget.Value, B("p/"), B("p0")) { Value = B("v") };
        Assert.True((await s.TxnAsync(new TxnRequest([all], [], []))).Succeeded);
        await s.PutAsync(new PutRequest(B("p/3"), B("w")));
        Assert.False((await s.TxnAsync(new TxnRequest([all], [], []))).Succeeded);
        var missingValue = new Compare(CompareResult.NotEqual, CompareTarget.Value, B("nope")) { Value = B("v") };
        Assert.False((await s.TxnAsync(new TxnRequest([missingValue], [], []))).Succeeded);
        var missingVersion = new Compare(CompareResult.Equal, CompareTarget.Version, B("nope")) { Version = 0 };
        Assert.True((await s.TxnAsync(new TxnRequest([missingVersion], [], []))).Succeeded);
    }

    [Fact]
    public async Task DuplicateKeysAndTooManyOpsAreRejectedLikeEtcd()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        async Task<KvException> Fails(TxnRequest r) => await Assert.ThrowsAsync<KvException>(async () => await s.TxnAsync(r));

        Assert.Equal("etcdserver: duplicate key given in txn request", (await Fails(new TxnRequest([], [Put("a", "1"), Put("a", "2")], []))).Message);
        Assert.Equal(KvErrorCode.DuplicateKey, (await Fails(new TxnRequest([], [Del("a", "c"), Put("b", "2")], []))).Code);
        Assert.Equal(KvErrorCode.DuplicateKey, (await Fails(new TxnRequest([], [Put("b", "1"), RequestOp.Of(new TxnRequest([], [Put("b", "2")], []))], []))).Code);

        // Allowed: the two branches of a nested txn exclude each other; a key deleted twice; put in success and failure.
        await s.TxnAsync(new TxnRequest([], [RequestOp.Of(new TxnRequest([], [Put("k", "1")], [Put("k", "2")]))], []));
        await s.TxnAsync(new TxnRequest([], [Del("k"), Del("k")], [Put("k", "3")]));

        var many = Enumerable.Range(0, 129).Select(i => Put($"k{i}", "v")).ToList();
        Assert.Equal("etcdserver: too many operations in txn request", (await Fails(new TxnRequest([], many, []))).Message);
        await s.TxnAsync(new TxnRequest([], many.Take(128).ToList(), []));
        Assert.Equal(128, s.Range(new RangeRequest(B("k0"), B("l"))).Count);
    }

    [Fact]
    public async Task AFailingOpLeavesNothingBehind()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        var r = new TxnRequest([], [Put("a", "1"), RequestOp.Of(new PutRequest(B("b"), B("2")) { Lease = 77 })], []);
        var e = await Assert.ThrowsAsync<KvException>(async () => await s.TxnAsync(r));
        Assert.Equal(KvErrorCode.LeaseNotFound, e.Code);
        Assert.Equal(1, s.Revision);
        Assert.Empty(s.Range(new RangeRequest([0], [0])).Kvs);
        await s.PutAsync(new PutRequest(B("a"), B("ok")));
        Assert.Equal(2, s.Revision);
        Assert.Empty(s.CheckConsistency());
    }

    [Fact]
    public async Task ReadOnlyTxnNeedsNoWriteAndRejectsFutureRevision()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await s.PutAsync(new PutRequest(B("a"), B("1")));
        var r = await s.TxnAsync(new TxnRequest([], [Get("a")], []));
        Assert.Equal(2, r.Revision);
        var future = RequestOp.Of(new RangeRequest(B("a")) { Revision = 5 });
        var e = await Assert.ThrowsAsync<KvException>(async () => await s.TxnAsync(new TxnRequest([], [future], [])));
        Assert.Equal(KvErrorCode.FutureRevision, e.Code);
    }
}
