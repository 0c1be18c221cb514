using System.Buffers;
using System.Collections.Concurrent;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvCluster.Kv.Mvcc;
using KvCluster.KvServer.Raft.Wire;
using KvCluster.KvServer.Rpc;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// The Raft state machine: applies committed entries, in log order, to the local engine. Each entry
/// is a batch of client requests (see raft.proto); each request's engine write is started here, in
/// order, and becomes visible once the engine's own WAL has made it durable. The member that
/// proposed a request hands the outcome to its waiting client. Each request has a position, entry
/// index × <see cref="MaxBatch"/> + its place in the batch, which the engine persists with its write
/// as its applied index: requests at or below it were applied before a restart and are skipped, so
/// replaying the log after a crash applies each request exactly once, even from a half-applied batch.
/// </summary>
public sealed class KvStateMachine(MvccStore store, ulong self) : IStateMachine
{
    /// <summary>Requests per log entry at most.</summary>
    public const int MaxBatch = 4096;

    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<Task<object>>> _waiters = new();
    private Task<object> _last = Task.FromResult<object>(0L);

    /// <summary>No snapshots yet: the whole log is kept and replayed (see the Raft notes in README).</summary>
    public ISnapshot? Snapshot => null;

    /// <summary>Completes once every entry applied so far is visible in the engine. Never faults.</summary>
    public Task LastApplied => Volatile.Read(ref _last);

    public ValueTask ReclaimGarbageAsync(long watermark, CancellationToken token) => ValueTask.CompletedTask;

    /// <summary>Waits for the entry <paramref name="id"/> proposed by this member; the result is the engine's response or the exception it refused with.</summary>
    public Task<Task<object>> Expect(ulong id)
    {
        var w = new TaskCompletionSource<Task<object>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters[id] = w;
        return w.Task;
    }

    public void Forget(ulong id) => _waiters.TryRemove(id, out _);

    /// <summary>A request that could not be proposed: its client gets <paramref name="e"/>.</summary>
    public void Fail(ulong id, Exception e)
    {
        if (_waiters.TryRemove(id, out var w))
        {
            w.TrySetException(e);
        }
    }

    public async ValueTask<long> ApplyAsync(LogEntry entry, CancellationToken token)
    {
        long first = entry.Index * MaxBatch;
        if (entry.IsConfiguration || first + MaxBatch - 1 <= store.AppliedIndex)
        {
            return entry.Index;
        }

        if (entry.IsSnapshot)
        {
            throw new NotSupportedException("this member cannot install a Raft snapshot: snapshots are not implemented yet");
        }

        var batch = await ReadAsync(entry, token).ConfigureAwait(false);
        if (batch is null)
        {
            // A new leader's empty entry for its term.
            return entry.Index;
        }

        for (int i = 0; i < batch.Requests.Count; i++)
        {
            var request = batch.Requests[i];
            long position = first + i;
            if (position <= store.AppliedIndex)
            {
                continue;
            }

            Task<object> applied;
            if (request.OpCase == InternalRequest.OpOneofCase.Compaction)
            {
                // The engine compacts on the caller's thread: let every earlier write land first, and
                // finish before any later one starts, so every member compacts at the same point.
                await _last.ConfigureAwait(false);
                applied = Start(request, position);
                await applied.ConfigureAwait(false);
            }
            else
            {
                applied = Start(request, position);
            }

            Volatile.Write(ref _last, applied);
            if (request.Origin == self && _waiters.TryRemove(request.Id, out var waiter))
            {
                waiter.TrySetResult(applied);
            }
        }

        return entry.Index;
    }

    private static async ValueTask<InternalBatch?> ReadAsync(LogEntry entry, CancellationToken token)
    {
        if (entry.TryGetPayload(out ReadOnlySequence<byte> payload))
        {
            return payload.IsEmpty ? null : InternalBatch.Parser.ParseFrom(payload);
        }

        using var buffer = new MemoryStream();
        foreach (var part in entry.GetPayload())
        {
            await buffer.WriteAsync(part, token).ConfigureAwait(false);
        }

        return buffer.Length == 0 ? null : InternalBatch.Parser.ParseFrom(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
    }

    /// <summary>Starts the engine write (synchronously enqueued, so in log order); the task ends once it is durable.</summary>
    private Task<object> Start(InternalRequest r, long index)
    {
        try
        {
            return r.OpCase switch
            {
                InternalRequest.OpOneofCase.Put => Settle(store.PutAsync(r.Put.ToEngine(), index)),
                InternalRequest.OpOneofCase.DeleteRange => Settle(store.DeleteRangeAsync(r.DeleteRange.ToEngine(), index)),
                InternalRequest.OpOneofCase.Txn => Settle(store.TxnAsync(r.Txn.ToEngine(), index)),
                InternalRequest.OpOneofCase.Compaction => Settle(store.CompactAsync(r.Compaction.Revision, r.Compaction.Physical, index)),
                InternalRequest.OpOneofCase.LeaseGrant => Settle(store.LeaseGrantAsync(r.LeaseGrant.ID, r.LeaseGrant.TTL, index)),
                InternalRequest.OpOneofCase.LeaseRevoke => Settle(store.LeaseRevokeAsync(r.LeaseRevoke.ID, index)),
                _ => Task.FromResult<object>(new InvalidDataException($"unknown Raft request {r.OpCase}")),
            };
        }
        catch (Exception e)
        {
            // Refused before reaching the engine's queue (validation): the same on every member.
            return Task.FromResult<object>(e);
        }
    }

    /// <summary>The response, or the exception the engine refused with: applied tasks never fault.</summary>
    private static async Task<object> Settle<T>(ValueTask<T> write)
    {
        try
        {
            return (await write.ConfigureAwait(false))!;
        }
        catch (Exception e)
        {
            return e;
        }
    }
}
