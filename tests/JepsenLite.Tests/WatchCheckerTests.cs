using KvCluster.JepsenLite.Checker;

namespace KvCluster.JepsenLite.Tests;

public sealed class WatchCheckerTests
{
    // Revisions 2..6; revision 4 is a transaction touching a and b.
    private static readonly CommittedEvent[] _committed =
    [
        new(2, "a", WatchEventType.Put, "1"),
        new(3, "b", WatchEventType.Put, "1"),
        new(4, "a", WatchEventType.Put, "2"),
        new(4, "b", WatchEventType.Delete, null),
        new(5, "c", WatchEventType.Put, "1"),
        new(6, "a", WatchEventType.Delete, null),
    ];

    private static ReceivedEvent Got(int response, long revision, string key) =>
        _committed.Where(c => c.Revision == revision && c.Key == key).Select(c => new ReceivedEvent(response, revision, key, c.Type, c.Value)).DefaultIfEmpty(new ReceivedEvent(response, revision, key, WatchEventType.Put, "?")).Single();

    private static WatchResult Check(string? rangeEnd, long start, params ReceivedEvent[] events) =>
        WatchChecker.Check([new WatcherHistory("w", "a", rangeEnd, start, events)], _committed);

    [Fact]
    public void A_complete_stream_is_valid()
    {
        Assert.Equal(Validity.Valid, Check("c", 2, Got(0, 2, "a"), Got(1, 3, "b"), Got(2, 4, "a"), Got(2, 4, "b")).Validity);
        Assert.Equal(Validity.Valid, Check(null, 3, Got(0, 4, "a"), Got(1, 6, "a")).Validity);
        Assert.Equal(Validity.Valid, Check("\0", 5, Got(0, 5, "c"), Got(0, 6, "a")).Validity);
    }

    [Theory]
    [InlineData(WatchProperty.Ordered)]
    [InlineData(WatchProperty.Unique)]
    [InlineData(WatchProperty.Reliable)]
    [InlineData(WatchProperty.Atomic)]
    [InlineData(WatchProperty.Accurate)]
    public void Each_broken_guarantee_is_reported_as_itself(WatchProperty property)
    {
        var result = property switch
        {
            WatchProperty.Ordered => Check("c", 2, Got(0, 2, "a"), Got(2, 4, "a"), Got(2, 4, "b"), Got(3, 3, "b")),
            WatchProperty.Unique => Check(null, 2, Got(0, 2, "a"), Got(1, 2, "a")),
            WatchProperty.Reliable => Check("c", 2, Got(0, 2, "a"), Got(1, 4, "a"), Got(1, 4, "b")),
            WatchProperty.Atomic => Check("c", 4, Got(0, 4, "a"), Got(1, 4, "b")),
            _ => Check(null, 2, Got(0, 2, "a"), new ReceivedEvent(1, 4, "a", WatchEventType.Put, "3")),
        };
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.False(result.Holds(property));
        Assert.All(result.Violations, v => Assert.Equal(property, v.Property));
    }
}
