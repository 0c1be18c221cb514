using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Watch;
using Microsoft.Extensions.Time.Testing;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Lease;

public sealed class LeaseTests
{
    private static TempStore FakeClockStore(FakeTimeProvider clock) =>
        TempStore.Create(o => o with { Time = clock, ExpireLeases = false });

    [Fact]
    public async Task ExpiryDeletesAttachedKeysInOneRevision()
    {
        var clock = new FakeTimeProvider();
        await using var t = FakeClockStore(clock);
        var s = t.Store;
        var lease = await s.LeaseGrantAsync(0, 10);
        foreach (var k in new[] { "a", "b", "c" })
        {
            await s.PutAsync(new PutRequest(B(k), B("v")) { Lease = lease.Id });
        }

        await s.PutAsync(new PutRequest(B("keep"), B("v")));
        using var w = s.Watch(new WatchRequest([0], [0]));
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.Equal(0, await s.RevokeExpiredLeasesAsync());
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await s.RevokeExpiredLeasesAsync());

        Assert.Equal(["keep"], s.Range(new RangeRequest([0], [0])).Kvs.Select(k => S(k.Key)));
        Assert.Equal(6, s.Revision);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var r = await w.Responses.ReadAsync(cts.Token);
        Assert.Equal(6, r.Revision);
        Assert.Equal(["a", "b", "c"], r.Events.Select(e => S(e.Kv.Key)));
        Assert.All(r.Events, e => Assert.Equal(EventType.Delete, e.Type));
        Assert.Empty(s.Leases());
    }

    [Fact]
    public async Task KeepAliveExtendsAndTimeToLiveReportsKeys()
    {
        var clock = new FakeTimeProvider();
        await using var t = FakeClockStore(clock);
        var s = t.Store;
        var lease = await s.LeaseGrantAsync(7, 10);
        Assert.Equal(7, lease.Id);
        await s.PutAsync(new PutRequest(B("k"), B("v")) { Lease = 7 });
        clock.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(10, s.LeaseKeepAlive(7));
        clock.Advance(TimeSpan.FromSeconds(8));
        Assert.Equal(0, await s.RevokeExpiredLeasesAsync());
        var ttl = s.LeaseTimeToLive(7, keys: true);
        Assert.Equal((2L, 10L), (ttl.Ttl, ttl.GrantedTtl));
        Assert.Equal("k", S(Assert.Single(ttl.Keys)));
        clock.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1, await s.RevokeExpiredLeasesAsync());
        Assert.Empty(s.Range(new RangeRequest(B("k"))).Kvs);
        var gone = Assert.Throws<KvException>(() => s.LeaseKeepAlive(7));
        Assert.Equal("etcdserver: requested lease not found", gone.Message);
    }

    [Fact]
    public async Task GrantRulesMatchEtcd()
    {
        await using var t = FakeClockStore(new FakeTimeProvider());
        var s = t.Store;
        Assert.Equal(2, (await s.LeaseGrantAsync(1, 1)).Ttl);
        var dup = await Assert.ThrowsAsync<KvException>(async () => await s.LeaseGrantAsync(1, 5));
        Assert.Equal("etcdserver: lease already exists", dup.Message);
        var big = await Assert.ThrowsAsync<KvException>(async () => await s.LeaseGrantAsync(2, 9_000_000_001));
        Assert.Equal("etcdserver: too large lease TTL", big.Message);
        var missing = await Assert.ThrowsAsync<KvException>(async () => await s.LeaseRevokeAsync(99));
        Assert.Equal(KvErrorCode.LeaseNotFound, missing.Code);
    }

    [Fact]
    public async Task RevokeDetachesKeysThatMovedToAnotherLease()
    {
        await using var t = FakeClockStore(new FakeTimeProvider());
        var s = t.Store;
        await s.LeaseGrantAsync(1, 60);
        await s.LeaseGrantAsync(2, 60);
        await s.PutAsync(new PutRequest(B("k"), B("v")) { Lease = 1 });
        await s.PutAsync(new PutRequest(B("k"), B("w")) { Lease = 2 });
        await s.LeaseRevokeAsync(1);
        Assert.Equal("w", S(Assert.Single(s.Range(new RangeRequest(B("k"))).Kvs).Value));
        await s.LeaseRevokeAsync(2);
        Assert.Empty(s.Range(new RangeRequest(B("k"))).Kvs);
    }

    [Fact]
    public async Task LeasesAndAttachmentsSurviveRestart()
    {
        var clock = new FakeTimeProvider();
        await using var t = FakeClockStore(clock);
        await t.Store.LeaseGrantAsync(5, 30);
        await t.Store.PutAsync(new PutRequest(B("k"), B("v")) { Lease = 5 });
        await t.ReopenAsync();
        Assert.Equal([5L], t.Store.Leases());
        Assert.Equal("k", S(Assert.Single(t.Store.LeaseTimeToLive(5, true).Keys)));
        await t.Store.LeaseRevokeAsync(5);
        Assert.Empty(t.Store.Range(new RangeRequest(B("k"))).Kvs);
    }
}
