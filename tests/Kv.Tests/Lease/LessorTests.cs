using KvCluster.Kv.Lease;
using Microsoft.Extensions.Time.Testing;

namespace KvCluster.Kv.Tests.Lease;

public sealed class LessorTests
{
    [Fact]
    public void DemotedLessorNeverExpiresAndPromotionGivesAFullTtlPlusGrace()
    {
        var clock = new FakeTimeProvider();
        var lessor = new Lessor(clock, minTtl: 2);
        lessor.Grant(1, 10);
        lessor.Demote();
        clock.Advance(TimeSpan.FromSeconds(100));
        Assert.Empty(lessor.Expired());
        Assert.Equal(KvErrorCode.NotPrimary, Assert.Throws<KvException>(() => lessor.Renew(1)).Code);

        lessor.Promote(TimeSpan.FromSeconds(3));
        clock.Advance(TimeSpan.FromSeconds(12));
        Assert.Empty(lessor.Expired());
        clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal([1L], lessor.Expired());
    }

    [Fact]
    public void MinimumTtlAppliesAndRemainingIsTruncatedToSeconds()
    {
        var clock = new FakeTimeProvider();
        var lessor = new Lessor(clock, minTtl: 2);
        Assert.Equal(2, lessor.EffectiveTtl(1));
        Assert.Equal(30, lessor.EffectiveTtl(30));
        lessor.Grant(5, 30);
        clock.Advance(TimeSpan.FromSeconds(10.5));
        var ttl = lessor.TimeToLive(5, keys: false);
        Assert.Equal((19L, 30L), (ttl.Ttl, ttl.GrantedTtl));
        Assert.Equal(KvErrorCode.LeaseNotFound, Assert.Throws<KvException>(() => lessor.TimeToLive(6, false)).Code);
    }
}
