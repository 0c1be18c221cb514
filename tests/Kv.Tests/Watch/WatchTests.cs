using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Watch;
using static KvCluster.Kv.Tests.Bytes;

namespace KvCluster.Kv.Tests.Watch;

public sealed class WatchTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    /// <summary>Reads responses until <paramref name="count"/> events have arrived (bounded by a timeout).</summary>
    private static async Task<List<WatchResponse>> ReadEvents(Watcher w, int count)
    {
        using var cts = new CancellationTokenSource(Timeout);
        var got = new List<WatchResponse>();
        int events = 0;
        while (events < count)
        {
            var r = await w.Responses.ReadAsync(cts.Token);
            got.Add(r);
            events += r.Events.Count;
        }

        return got;
    }

    [Fact]
    public async Task WatcherFromOldRevisionReceivesExactlyTheHistoryThenLiveEvents()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await s.PutAsync(new PutRequest(B("a"), B("1")));
        await s.PutAsync(new PutRequest(B("other"), B("x")));
        await s.PutAsync(new PutRequest(B("a"), B("2")));
        await s.DeleteRangeAsync(new DeleteRangeRequest(B("a")));

        using var w = s.Watch(new WatchRequest(B("a")) { StartRevision = 1, PrevKv = true });
        var history = (await ReadEvents(w, 3)).SelectMany(r => r.Events).ToList();
        Assert.Equal([(EventType.Put, 2L), (EventType.Put, 4L), (EventType.Delete, 5L)], history.Select(e => (e.Type, e.Kv.ModRevision)));
        Assert.Equal("1", S(history[1].PrevKv!.Value));
        Assert.Equal("2", S(history[2].PrevKv!.Value));

        await s.PutAsync(new PutRequest(B("a"), B("3")));
        var live = Assert.Single((await ReadEvents(w, 1)).SelectMany(r => r.Events));
        Assert.Equal((EventType.Put, 6L, "3"), (live.Type, live.Kv.ModRevision, S(live.Kv.Value)));
    }

    [Fact]
    public async Task LiveWatcherGetsPrevKvOnPutAndDeleteOthersDoNot()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        await s.PutAsync(new PutRequest(B("k"), B("old")));
        using var withPrev = s.Watch(new WatchRequest(B("k")) { PrevKv = true });
        using var without = s.Watch(new WatchRequest(B("k")));
        await s.PutAsync(new PutRequest(B("k"), B("new")));
        await s.DeleteRangeAsync(new DeleteRangeRequest(B("k")));
        await s.PutAsync(new PutRequest(B("k"), B("reborn")));
        var events = (await ReadEvents(withPrev, 3)).SelectMany(r => r.Events).ToList();
        Assert.Equal(["old", "new", null], events.Select(e => e.PrevKv is null ? null : S(e.PrevKv.Value)));
        Assert.Equal(2, events[0].PrevKv!.ModRevision);
        Assert.All((await ReadEvents(without, 3)).SelectMany(r => r.Events), e => Assert.Null(e.PrevKv));
    }

    [Fact]
    public async Task AllEventsOfOneRevisionArriveTogether()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        using var w = s.Watch(new WatchRequest(B("k"), B("l")));
        await s.TxnAsync(new TxnRequest([], [
            RequestOp.Of(new PutRequest(B("k1"), B("a"))),
            RequestOp.Of(new PutRequest(B("k2"), B("b"))),
            RequestOp.Of(new PutRequest(B("k3"), B("c")))], []));
        var r = Assert.Single(await ReadEvents(w, 3));
        Assert.Equal(2, r.Revision);
        Assert.Equal(["k1", "k2", "k3"], r.Events.Select(e => S(e.Kv.Key)));
    }

    /// <summary>
    /// Publishing touches only the watchers of the keys a revision changes (and range watchers): a
    /// single-key watcher sees one response per revision of its key, with exactly its events, while
    /// range and other-key watchers are served from the same revision.
    /// </summary>
    [Fact]
    public async Task EachWatcherGetsOnlyItsKeysFromAMultiKeyRevision()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        using var k1 = s.Watch(new WatchRequest(B("k1")));
        using var k1Again = s.Watch(new WatchRequest(B("k1")) { NoPut = true });
        using var k3 = s.Watch(new WatchRequest(B("k3")));
        using var range = s.Watch(new WatchRequest(B("k2"), B("k4")));
        using var untouched = s.Watch(new WatchRequest(B("zz")));
        await s.TxnAsync(new TxnRequest([], [
            RequestOp.Of(new PutRequest(B("k1"), B("a"))),
            RequestOp.Of(new PutRequest(B("k2"), B("b"))),
            RequestOp.Of(new PutRequest(B("k3"), B("c")))], []));
        await s.PutAsync(new PutRequest(B("zz"), B("z")));

        Assert.Equal(["k1"], Assert.Single(await ReadEvents(k1, 1)).Events.Select(e => S(e.Kv.Key)));
        Assert.Equal(["k3"], Assert.Single(await ReadEvents(k3, 1)).Events.Select(e => S(e.Kv.Key)));
        Assert.Equal(["k2", "k3"], Assert.Single(await ReadEvents(range, 2)).Events.Select(e => S(e.Kv.Key)));
        var z = Assert.Single(await ReadEvents(untouched, 1));
        Assert.Equal(3, z.Revision);
        Assert.False(k1Again.Responses.TryRead(out _), "a NoPut watcher got a put");
        Assert.False(k1.Responses.TryRead(out _), "k1's watcher got a second response");
    }

    /// <summary>
    /// A synced watcher is not touched by revisions of other keys; when it then falls behind on its
    /// own key it must resume exactly after what it was given live: no duplicate, no gap.
    /// </summary>
    [Fact]
    public async Task AWatcherThatFallsBehindAfterOtherKeysChangedResumesWithoutDuplicates()
    {
        await using var t = TempStore.Create(o => o with { WatchBufferSize = 4 });
        var s = t.Store;
        using var w = s.Watch(new WatchRequest(B("k")));
        await s.PutAsync(new PutRequest(B("k"), B("live")));
        Assert.Equal(2, Assert.Single(await ReadEvents(w, 1)).Revision);

        for (int i = 0; i < 100; i++)
        {
            await s.PutAsync(new PutRequest(B($"other{i}"), B("x")));
        }

        const int Writes = 50;
        for (int i = 0; i < Writes; i++)
        {
            await s.PutAsync(new PutRequest(B("k"), B(i.ToString())));
        }

        Assert.True(s.Hub.UnsyncedCount >= 1);
        var events = (await ReadEvents(w, Writes)).SelectMany(r => r.Events).ToList();
        Assert.Equal(Enumerable.Range(103, Writes).Select(i => (long)i), events.Select(e => e.Kv.ModRevision));
    }

    [Fact]
    public async Task SlowConsumerGetsEveryEventInOrderWithoutBlockingWriters()
    {
        await using var t = TempStore.Create(o => o with { WatchBufferSize = 4 });
        var s = t.Store;
        using var w = s.Watch(new WatchRequest(B("k")) { NoDelete = true });
        const int Writes = 500;
        for (int i = 0; i < Writes; i++)
        {
            // Writers finish although nobody reads: the watcher falls into the unsynced group.
            await s.PutAsync(new PutRequest(B("k"), B(i.ToString())));
        }

        Assert.True(s.Hub.UnsyncedCount >= 1);
        var events = (await ReadEvents(w, Writes)).SelectMany(r => r.Events).ToList();
        Assert.Equal(Enumerable.Range(2, Writes).Select(i => (long)i), events.Select(e => e.Kv.ModRevision));
        Assert.Equal(Enumerable.Range(0, Writes).Select(i => i.ToString()), events.Select(e => S(e.Kv.Value)));

        // Caught up: it is synced again and gets live events.
        await s.PutAsync(new PutRequest(B("k"), B("live")));
        var live = Assert.Single((await ReadEvents(w, 1)).SelectMany(r => r.Events));
        Assert.Equal("live", S(live.Kv.Value));
    }

    [Fact]
    public async Task WatchFromCompactedRevisionIsCancelledWithCompactRevision()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        for (int i = 0; i < 5; i++)
        {
            await s.PutAsync(new PutRequest(B("k"), B(i.ToString())));
        }

        await s.CompactAsync(5, physical: true);
        using var w = s.Watch(new WatchRequest(B("k")) { StartRevision = 3 });
        using var cts = new CancellationTokenSource(Timeout);
        var r = await w.Responses.ReadAsync(cts.Token);
        Assert.True(r.Canceled);
        Assert.Equal(5, r.CompactRevision);
        Assert.False(await w.Responses.WaitToReadAsync(cts.Token));

        // Starting exactly at the compact revision is allowed.
        using var ok = s.Watch(new WatchRequest(B("k")) { StartRevision = 5 });
        var events = (await ReadEvents(ok, 2)).SelectMany(x => x.Events).ToList();
        Assert.Equal([5L, 6L], events.Select(e => e.Kv.ModRevision));
    }

    [Fact]
    public async Task FiltersAndProgressNotification()
    {
        await using var t = TempStore.Create();
        var s = t.Store;
        using var w = s.Watch(new WatchRequest(B("k")) { NoPut = true });
        await s.PutAsync(new PutRequest(B("k"), B("1")));
        await s.DeleteRangeAsync(new DeleteRangeRequest(B("k")));
        var e = Assert.Single((await ReadEvents(w, 1)).SelectMany(r => r.Events));
        Assert.Equal(EventType.Delete, e.Type);
        Assert.Null(e.PrevKv);

        Assert.True(w.RequestProgress());
        using var cts = new CancellationTokenSource(Timeout);
        var progress = await w.Responses.ReadAsync(cts.Token);
        Assert.True(progress.IsProgressNotify);
        Assert.Equal(3, progress.Revision);
    }

    [Fact]
    public async Task ManyConcurrentWritersAndWatchersSeeTheSameOrderedHistory()
    {
        await using var t = TempStore.Create(o => o with { WatchBufferSize = 8 });
        var s = t.Store;
        var watchers = Enumerable.Range(0, 20).Select(_ => s.Watch(new WatchRequest(B("p/"), B("p0")))).ToList();
        const int PerWriter = 100;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(wr => Task.Run(async () =>
        {
            for (int i = 0; i < PerWriter; i++)
            {
                await s.PutAsync(new PutRequest(B($"p/{wr}"), B(i.ToString())));
            }
        })));

        foreach (var w in watchers)
        {
            var revs = (await ReadEvents(w, 4 * PerWriter)).SelectMany(r => r.Events).Select(e => e.Kv.ModRevision).ToList();
            Assert.Equal(Enumerable.Range(2, 4 * PerWriter).Select(i => (long)i), revs);
            w.Dispose();
        }
    }
}
