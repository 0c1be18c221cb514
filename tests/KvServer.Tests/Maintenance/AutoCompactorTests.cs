using KvCluster.Kv;
using KvCluster.Kv.Mvcc;
using KvCluster.KvServer.Maintenance;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KvCluster.KvServer.Tests.Maintenance;

/// <summary>--auto-compaction-mode revision|periodic on a real store, with a fake clock.</summary>
public sealed class AutoCompactorTests : IAsyncDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvcompact-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));
    private readonly MvccStore _store;

    public AutoCompactorTests() => _store = MvccStore.Open(new StoreOptions { DataDir = _dir, ExpireLeases = false });

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task PutsAsync(int n)
    {
        for (int i = 0; i < n; i++)
        {
            await _store.PutAsync(new PutRequest("k"u8.ToArray(), [(byte)i]));
        }
    }

    private async Task<long> CompactedAfterAsync(TimeSpan advance)
    {
        _time.Advance(advance);
        for (int i = 0; i < 25 && _store.CompactRevision == 0; i++)
        {
            await Task.Delay(20);
        }

        return _store.CompactRevision;
    }

    [Fact]
    public async Task RevisionModeKeepsTheLastNRevisionsEveryFiveMinutes()
    {
        await PutsAsync(20); // revisions 2..21
        var compactor = AutoCompactor.Create(_store, "revision", "5", _time, NullLogger.Instance)!;
        using var stop = new CancellationTokenSource();
        var run = compactor.RunAsync(stop.Token);
        Assert.Equal(0, await CompactedAfterAsync(TimeSpan.FromMinutes(4)));
        Assert.Equal(_store.Revision - 5, await CompactedAfterAsync(TimeSpan.FromMinutes(1)));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
    }

    [Fact]
    public async Task PeriodicModeCompactsToTheRevisionSeenOneRetentionAgo()
    {
        var compactor = AutoCompactor.Create(_store, "periodic", "10m", _time, NullLogger.Instance)!;
        using var stop = new CancellationTokenSource();
        var run = compactor.RunAsync(stop.Token);
        await PutsAsync(5);
        long early = _store.Revision;
        // Samples are taken every minute (a tenth of the retention); nothing is old enough before 10 minutes.
        for (int minute = 1; minute <= 9; minute++)
        {
            Assert.Equal(0, await CompactedAfterAsync(TimeSpan.FromMinutes(1)));
            if (minute == 1)
            {
                await PutsAsync(5);
            }
        }

        Assert.Equal(early, await CompactedAfterAsync(TimeSpan.FromMinutes(2)));
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        Assert.Null(AutoCompactor.Create(_store, "periodic", "0", _time, NullLogger.Instance));
    }
}
