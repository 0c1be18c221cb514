using KvCluster.Kv.Mvcc;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Mvcc;

public sealed class MvccStoreTests
{
    [Fact]
    public async Task PutAssignsRevisionsVersionsAndCreateRevision()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        Assert.Equal(1, s.Revision); // a new store is at revision 1, as etcd's
        var r1 = await s.PutAsync(new PutRequest(B("foo"), B("a")));
        var r2 = await s.PutAsync(new PutRequest(B("foo"), B("b")) { PrevKv = true });
        Assert.Equal(2, r1.Revision);
        Assert.Equal(3, r2.Revision);
        Assert.Equal("a", S(r2.PrevKv!.Value));
        var kv = Assert.Single(s.Range(new RangeRequest(B("foo"))).Kvs);
        Assert.Equal((2L, 3L, 2L), (kv.CreateRevision, kv.ModRevision, kv.Version));
        Assert.Empty(s.Range(new RangeRequest(B("foo")) { Revision = 1 }).Kvs);
        var old = Assert.Single(s.Range(new RangeRequest(B("foo")) { Revision = 2 }).Kvs);
        Assert.Equal("a", S(old.Value));
    }

    [Fact]
    public async Task DeleteEndsGenerationAndRecreateRestartsVersion()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await s.PutAsync(new PutRequest(B("k"), B("1")));
        await s.PutAsync(new PutRequest(B("k"), B("2")));
        var del = await s.DeleteRangeAsync(new DeleteRangeRequest(B("k")) { PrevKv = true });
        Assert.Equal(1, del.Deleted);
        Assert.Equal("2", S(Assert.Single(del.PrevKvs).Value));
        Assert.Empty(s.Range(new RangeRequest(B("k"))).Kvs);
        await s.PutAsync(new PutRequest(B("k"), B("3")));
        var kv = Assert.Single(s.Range(new RangeRequest(B("k"))).Kvs);
        Assert.Equal((5L, 5L, 1L), (kv.CreateRevision, kv.ModRevision, kv.Version));
        var none = await s.DeleteRangeAsync(new DeleteRangeRequest(B("absent")));
        Assert.Equal(0, none.Deleted);
        Assert.Equal(5, none.Revision);
    }

    [Fact]
    public async Task RangeHonoursEndsLimitSortAndFilters()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        foreach (var k in new[] { "a", "b", "c", "d" })
        {
            await s.PutAsync(new PutRequest(B(k), B("v" + k)));
        }

        Assert.Equal(["b", "c"], s.Range(new RangeRequest(B("b"), B("d"))).Kvs.Select(k => S(k.Key)));
        Assert.Equal(["c", "d"], s.Range(new RangeRequest(B("c"), [0])).Kvs.Select(k => S(k.Key)));
        Assert.Equal(4, s.Range(new RangeRequest([0], [0])).Kvs.Count);
        var limited = s.Range(new RangeRequest([0], [0]) { Limit = 2 });
        Assert.Equal((2, true, 4L), (limited.Kvs.Count, limited.More, limited.Count));
        var exact = s.Range(new RangeRequest([0], [0]) { Limit = 4 });
        Assert.False(exact.More);
        var desc = s.Range(new RangeRequest([0], [0]) { SortOrder = SortOrder.Descend, SortTarget = SortTarget.Mod, Limit = 1 });
        Assert.Equal("d", S(Assert.Single(desc.Kvs).Key));
        var counted = s.Range(new RangeRequest([0], [0]) { CountOnly = true });
        Assert.Equal((0, 4L), (counted.Kvs.Count, counted.Count));
        var keysOnly = s.Range(new RangeRequest(B("a")) { KeysOnly = true });
        Assert.Empty(Assert.Single(keysOnly.Kvs).Value);
        var filtered = s.Range(new RangeRequest([0], [0]) { MinModRevision = 4 });
        Assert.Equal(["c", "d"], filtered.Kvs.Select(k => S(k.Key)));
        Assert.Equal(4, filtered.Count);
    }

    [Fact]
    public async Task ErrorsUseEtcdMessages()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await s.PutAsync(new PutRequest(B("a"), B("1")));
        await s.PutAsync(new PutRequest(B("a"), B("2")));
        var future = Assert.Throws<KvException>(() => s.Range(new RangeRequest(B("a")) { Revision = 9 }));
        Assert.Equal("etcdserver: mvcc: required revision is a future revision", future.Message);
        await s.CompactAsync(3, physical: true);
        var compacted = Assert.Throws<KvException>(() => s.Range(new RangeRequest(B("a")) { Revision = 2 }));
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", compacted.Message);
        var again = await Assert.ThrowsAsync<KvException>(async () => await s.CompactAsync(3));
        Assert.Equal(KvErrorCode.Compacted, again.Code);
        var ahead = await Assert.ThrowsAsync<KvException>(async () => await s.CompactAsync(10));
        Assert.Equal(KvErrorCode.FutureRevision, ahead.Code);
        var missing = await Assert.ThrowsAsync<KvException>(async () => await s.PutAsync(new PutRequest(B("nokey"), []) { IgnoreValue = true }));
        Assert.Equal("etcdserver: key not found", missing.Message);
        var provided = await Assert.ThrowsAsync<KvException>(async () => await s.PutAsync(new PutRequest(B("a"), B("x")) { IgnoreValue = true }));
        Assert.Equal("etcdserver: value is provided", provided.Message);
        var noLease = await Assert.ThrowsAsync<KvException>(async () => await s.PutAsync(new PutRequest(B("a"), B("x")) { Lease = 42 }));
        Assert.Equal("etcdserver: requested lease not found", noLease.Message);
        var empty = await Assert.ThrowsAsync<KvException>(async () => await s.PutAsync(new PutRequest([], B("x"))));
        Assert.Equal("etcdserver: key is not provided", empty.Message);
        Assert.Equal(3, s.Revision);
    }

    [Fact]
    public async Task IgnoreValueAndIgnoreLeaseKeepTheOldOnes()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        var lease = await s.LeaseGrantAsync(0, 60);
        await s.PutAsync(new PutRequest(B("k"), B("v")) { Lease = lease.Id });
        await s.PutAsync(new PutRequest(B("k"), []) { IgnoreValue = true, Lease = lease.Id });
        await s.PutAsync(new PutRequest(B("k"), B("w")) { IgnoreLease = true });
        var kv = Assert.Single(s.Range(new RangeRequest(B("k"))).Kvs);
        Assert.Equal(("w", lease.Id, 3L), (S(kv.Value), kv.Lease, kv.Version));
    }
}
