using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvCluster.KvServer.Raft;

namespace KvCluster.KvServer.Tests;

/// <summary>
/// A follower's log must hold the leader's entries durably before it answers AppendEntries. The
/// test takes what kill -9 would leave (a copy of the log directory, as the page cache has it, taken
/// while the log is open) right after the append returns, and reopens the copy.
/// </summary>
public sealed class RaftWalTests : IDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "raftwal-" + Guid.NewGuid().ToString("N"));

    private static WriteAheadLog.Options At(string dir) => new() { Location = dir, ChunkSize = 1 << 20 };

    [Fact]
    public async Task EntriesAppendedTheWayAFollowerDoesAreInTheLogThatKillNineLeaves()
    {
        string live = Path.Combine(_root, "live");
        using var wal = new RaftWal(At(live), IStateMachine.CreateNoOp());
        IAuditTrail<IRaftLogEntry> follower = wal;
        for (int round = 0; round < 20; round++)
        {
            long start = wal.LastEntryIndex + 1;
            var entries = Enumerable.Range(0, 5).Select(_ => new EmptyLogEntry { Term = 1 }).ToList();
            await follower.AppendAsync(new LogEntryProducer<EmptyLogEntry>(entries), start, skipCommitted: true);

            string copy = Path.Combine(_root, $"killed-{round}");
            CopyDirectory(live, copy);
            using var reopened = new WriteAheadLog(At(copy), IStateMachine.CreateNoOp());
            Assert.Equal(start + 4, reopened.LastEntryIndex);
        }
    }

    [Fact]
    public async Task AnUncommittedTailOverwrittenByANewLeaderIsReplacedDurablyToo()
    {
        string live = Path.Combine(_root, "live");
        using var wal = new RaftWal(At(live), IStateMachine.CreateNoOp());
        IAuditTrail<IRaftLogEntry> follower = wal;
        await follower.AppendAsync(new LogEntryProducer<EmptyLogEntry>([.. Enumerable.Range(0, 6).Select(_ => new EmptyLogEntry { Term = 1 })]), 1, skipCommitted: true);
        await wal.CommitAsync(2);

        // A new leader of term 2 replaces entries 3.. with its own, fewer ones.
        await follower.AppendAsync(new LogEntryProducer<EmptyLogEntry>([new EmptyLogEntry { Term = 2 }, new EmptyLogEntry { Term = 2 }]), 3, skipCommitted: true);
        string copy = Path.Combine(_root, "killed");
        CopyDirectory(live, copy);
        using var reopened = new WriteAheadLog(At(copy), IStateMachine.CreateNoOp());
        Assert.Equal(4, reopened.LastEntryIndex);
        using var tail = await reopened.ReadAsync(3, 4);
        Assert.All(tail, e => Assert.Equal(2, e.Term));
    }

    /// <summary>
    /// DotNext's WAL stops for good once its background apply fails (every later append throws),
    /// and does not always log why: RaftNode's watchdog finds such a log with RaftNode.BrokenLog
    /// and restarts the Raft layer. This pins the behaviour it relies on.
    /// </summary>
    [Fact]
    public async Task AWalWhoseApplyFailedIsReportedBrokenWithItsCause()
    {
        using var wal = new RaftWal(At(Path.Combine(_root, "broken")), new FailingStateMachine(failAt: 3));
        IAuditTrail<IRaftLogEntry> follower = wal;
        await follower.AppendAsync(new LogEntryProducer<BinaryLogEntry>([.. Enumerable.Range(0, 5).Select(i => new BinaryLogEntry { Term = 1, Content = new byte[] { (byte)i } })]), 1, skipCommitted: true);
        await wal.CommitAsync(2);
        await wal.WaitForApplyAsync(2);
        Assert.Null(RaftNode.BrokenLog(wal));

        await wal.CommitAsync(5);
        Exception? cause = null;
        for (var sw = System.Diagnostics.Stopwatch.StartNew(); cause is null && sw.Elapsed < TimeSpan.FromSeconds(10); await Task.Delay(20))
        {
            cause = RaftNode.BrokenLog(wal);
        }

        var broken = Assert.IsType<InvalidDataException>(cause);
        Assert.Equal("entry 3 refused", broken.Message);
        await Assert.ThrowsAsync<WriteAheadLog.InternalException>(async () =>
            await follower.AppendAsync(new LogEntryProducer<BinaryLogEntry>([new BinaryLogEntry { Term = 1, Content = new byte[] { 9 } }]), 6, skipCommitted: true));
    }

    private sealed class FailingStateMachine(long failAt) : IStateMachine
    {
        public ISnapshot? Snapshot => null;

        public ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token) =>
            entry.Index == failAt ? ValueTask.FromException<long>(new InvalidDataException($"entry {failAt} refused")) : ValueTask.FromResult(entry.Index);

        public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.GetDirectories(from))
        {
            CopyDirectory(dir, Path.Combine(to, Path.GetFileName(dir)));
        }
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}
