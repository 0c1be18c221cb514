using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Watch;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Watch;

/// <summary>
/// A store nobody watches builds no events as it applies a revision, and publishes it without them. A watcher that
/// opens between the apply and the publish must still get that revision: it leaves the synced group and the sync
/// loop reads the revision from the store.
/// </summary>
public sealed class UnwatchedRevisionTests
{
    /// <summary>History as the store would give it: one put of "k" per revision.</summary>
    private sealed class History : IEventSource
    {
        public List<(long From, long To)> Reads { get; } = [];

        public long CompactRevision => 0;

        public List<(long Revision, List<Event> Events)> ReadEvents(long from, long to, bool withPrevKv)
        {
            lock (Reads)
            {
                Reads.Add((from, to));
            }

            return Enumerable.Range((int)from, (int)(to - from + 1))
                .Select(r => ((long)r, new List<Event> { new(EventType.Put, new KeyValue(B("k"), B($"v{r}"), 2, r, r - 1, 0)) }))
                .ToList();
        }

        public KeyValue? PrevKv(byte[] key, long revision) => null;
    }

    [Fact]
    public async Task A_watcher_opened_after_an_unwatched_revision_was_applied_reads_it_from_the_store()
    {
        var history = new History();
        using var hub = new WatcherHub(history, publishedRevision: 5);
        Assert.False(hub.HasWatchers);

        // Revision 6 was applied while nobody watched (no events); the watcher opens before it is published.
        var w = hub.Add(new WatchRequest(B("k")));
        Assert.True(hub.HasWatchers);
        hub.Publish(6, null);
        hub.Publish(7, [new Event(EventType.Put, new KeyValue(B("k"), B("v7"), 2, 7, 6, 0))]);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var got = new List<(long, string)>();
        while (got.Count < 2)
        {
            var r = await w.Responses.ReadAsync(cts.Token);
            got.AddRange(r.Events.Select(e => (e.Kv.ModRevision, S(e.Kv.Value))));
        }

        Assert.Equal([(6L, "v6"), (7L, "v7")], got);
        Assert.Contains(history.Reads, r => r.From == 6);
    }
}
