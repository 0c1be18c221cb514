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
