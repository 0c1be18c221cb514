using DotNext.IO.Log;
using DotNext.Net.Cluster.Consensus.Raft;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// DotNext 6.12's WriteAheadLog, with the one guarantee Raft asks of a follower that it lacks: entries
/// received from the leader are durable before the follower answers. DotNext's follower appends the
/// leader's entries, starts a background flush and answers at once; the leader counts that answer
/// towards a majority, commits, and the client is told its write is done. Killing every member in the
/// few milliseconds before the followers' flushes complete then brings them back without the entry
/// (a reopened log ends where its last flush did); two of them elect each other, and an acknowledged
/// write is gone, while the old leader keeps it as committed and diverges. This class re-implements
/// <see cref="IAuditTrail{TEntry}"/>'s batch append, the path RaftCluster takes for AppendEntries,
/// so that it returns only once the appended entries are flushed. The leader's own entries need no
/// such step: DotNext flushes them before it lets their commit index advance.
/// </summary>
public sealed class RaftWal(WriteAheadLog.Options options, IStateMachine stateMachine) : WriteAheadLog(options, stateMachine), IAuditTrail<IRaftLogEntry>
{
    // DotNext's flush wait has room for a single waiter at a time.
    private readonly SemaphoreSlim _flushing = new(1, 1);

    async ValueTask IAuditTrail<IRaftLogEntry>.AppendAsync<TEntryImpl>(ILogEntryProducer<TEntryImpl> entries, long startIndex, bool skipCommitted, CancellationToken token)
    {
        await AppendAsync(entries, startIndex, skipCommitted, token).ConfigureAwait(false);
        await _flushing.WaitAsync(token).ConfigureAwait(false);
        try
        {
            await FlushAsync(token).ConfigureAwait(false);
        }
        finally
        {
            _flushing.Release();
        }
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _flushing.Dispose();
        }
    }
}
