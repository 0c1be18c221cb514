using CsCheck;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Tests.Mvcc;

public sealed class KeyMapTests
{
    private static byte[] Key(int i) => System.Text.Encoding.ASCII.GetBytes($"key/{i}");

    [Fact]
    public void FindsWhatWasAddedAndNotWhatWasRemoved()
    {
        var map = new KeyMap();
        var a = new KeyIndex(Key(1));
        map.Add(a);
        Assert.True(map.TryGetValue(Key(1), out var found));
        Assert.Same(a, found);
        Assert.False(map.TryGetValue(Key(2), out _));
        Assert.False(map.TryGetValue([], out _));
        Assert.False(map.Remove(Key(2)));
        Assert.True(map.Remove(Key(1)));
        Assert.False(map.TryGetValue(Key(1), out _));
        Assert.False(map.Remove(Key(1)));
        Assert.Equal(0, map.Count);
    }

    [Fact]
    public void GrowsKeepingEveryKeyAndDropsRemovedSlotsInsteadOfGrowingForEver()
    {
        var map = new KeyMap();
        for (int i = 0; i < 10_000; i++)
        {
            map.Add(new KeyIndex(Key(i)));
        }

        Assert.Equal(10_000, map.Count);
        Assert.InRange(map.Capacity, 20_000, 40_000);
        Assert.All(Enumerable.Range(0, 10_000), i => Assert.True(map.TryGetValue(Key(i), out var ki) && ki.Key.AsSpan().SequenceEqual(Key(i))));

        // Churn at a steady size: removed slots are reclaimed by rebuilds, the table does not grow.
        int capacity = map.Capacity;
        for (int i = 10_000; i < 200_000; i++)
        {
            Assert.True(map.Remove(Key(i - 10_000)));
            map.Add(new KeyIndex(Key(i)));
        }

        Assert.Equal(10_000, map.Count);
        Assert.Equal(capacity, map.Capacity);
        Assert.False(map.TryGetValue(Key(189_999), out _));
        Assert.True(map.TryGetValue(Key(190_000), out _));
        Assert.True(map.TryGetValue(Key(199_999), out _));
    }

    [Fact]
    public void MatchesADictionaryOverRandomAddsAndRemoves()
    {
        // Few distinct keys over many operations: many removed slots, rebuilds, and probes past them.
        Gen.Select(Gen.Bool, Gen.Int[0, 300]).Array[1, 3000].Sample(ops =>
        {
            var map = new KeyMap();
            var model = new Dictionary<int, KeyIndex>();
            foreach (var (add, k) in ops)
            {
                if (add && !model.ContainsKey(k))
                {
                    var ki = new KeyIndex(Key(k));
                    map.Add(ki);
                    model[k] = ki;
                }
                else if (!add)
                {
                    Assert.Equal(model.Remove(k), map.Remove(Key(k)));
                }
            }

            Assert.Equal(model.Count, map.Count);
            for (int k = 0; k <= 300; k++)
            {
                Assert.Equal(model.GetValueOrDefault(k), map.TryGetValue(Key(k), out var ki) ? ki : null);
            }
        }, iter: 200);
    }

    [Fact]
    public async Task ReadersWithoutALockAlwaysFindAKeyThatStaysWhileTheWriterGrowsAndChurnsTheMap()
    {
        var map = new KeyMap();
        var stays = Enumerable.Range(0, 64).Select(i => new KeyIndex(Key(-1 - i))).ToArray();
        foreach (var ki in stays)
        {
            map.Add(ki);
        }

        using var stop = new CancellationTokenSource();
        long lookups = 0;
        var readers = Enumerable.Range(0, 2).Select(r => Task.Run(() =>
        {
            var rnd = new Random(r);
            while (!stop.IsCancellationRequested)
            {
                var want = stays[rnd.Next(stays.Length)];
                Assert.True(map.TryGetValue(Key(-1 - Array.IndexOf(stays, want)), out var got), "a key that was never removed was not found");
                Assert.Same(want, got);
                Interlocked.Increment(ref lookups);
            }
        })).ToArray();

        // The readers must be running before the writer starts: with Rebuild compiled optimized at once, the writer
        // can finish before a busy thread pool has started them (bounded wait).
        var started = System.Diagnostics.Stopwatch.StartNew();
        while (Interlocked.Read(ref lookups) == 0 && started.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(1);
        }

        // The writer grows the map through many rebuilds, then churns it (rebuilds that drop removed slots).
        for (int i = 0; i < 300_000; i++)
        {
            map.Add(new KeyIndex(Key(i)));
            if (i >= 50_000)
            {
                Assert.True(map.Remove(Key(i - 50_000)));
            }
        }

        await stop.CancelAsync();
        await Task.WhenAll(readers);
        Assert.True(Interlocked.Read(ref lookups) > 0);
        Assert.Equal(64 + 50_000, map.Count);
    }
}
