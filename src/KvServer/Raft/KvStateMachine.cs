using System.Buffers;
using System.Buffers.Binary;
using System.Collections.Concurrent;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using DotNext.IO;
using KvCluster.Kv.Mvcc;
using KvCluster.KvServer.Hosting;
using KvCluster.KvServer.Raft.Wire;
using KvCluster.KvServer.Rpc;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// The Raft state machine: applies committed entries, in log order, to the local engine. Each entry
/// is a batch of client requests (see raft.proto); each request's engine write is started here, in
/// order, and becomes visible once the engine has committed it (in a cluster the engine does not fsync
/// per write: Raft's log is durable first, see <see cref="MaybeMoveSnapshotAsync"/>). The member that
/// proposed a request hands the outcome to its waiting client. Each request has a position, entry
/// index × <see cref="MaxBatch"/> + its place in the batch, which the engine persists with its write
/// as its applied index: requests at or below it were applied before a restart and are skipped, so
/// replaying the log after a crash applies each request exactly once, even from a half-applied batch.
/// </summary>
/// <para>
/// Snapshots: every <c>snapshotCount</c> entries the snapshot point moves to <c>catchUp</c> entries
/// behind the newest applied one, once the engine holds everything up to it durably; DotNext then
/// drops the log up to that point. A follower behind it receives the engine whole
/// (<see cref="EngineSnapshot"/>) and swaps it in (<see cref="EngineSlot.ReplaceAsync"/>). The point
/// is persisted in member/raft/snapshot so a restart replays the log from there.
/// </para>
public sealed class KvStateMachine : IStateMachine
{
    private readonly EngineSlot _slot;
    private readonly ulong _self;
    private readonly string _raftDir;
    private readonly long _snapshotCount;
    private readonly long _catchUp;
    private readonly List<(long Index, long Term)> _termStarts = [];
    private EngineSnapshot? _snapshot;
    private Task _installing = Task.CompletedTask;
    private long _newestInstall;
    private Task _deferred = Task.CompletedTask;
    private long _lastPointCheck;

    public KvStateMachine(EngineSlot slot, ulong self, string raftDir, long snapshotCount, long catchUp)
    {
        _slot = slot;
        _self = self;
        _raftDir = raftDir;
        _snapshotCount = snapshotCount;
        _catchUp = catchUp;
        FinishPendingInstall(slot, raftDir);
        string point = Path.Combine(raftDir, "snapshot");
        if (File.Exists(point))
        {
            var (index, term) = ReadPoint(point);
            _snapshot = new EngineSnapshot(slot, index, term, raftDir, () => _installing);
            _termStarts.Add((index, term));
            _lastPointCheck = index;
        }
    }

    private MvccStore Engine => _slot.Current;

    /// <summary>Requests per log entry at most.</summary>
    public const int MaxBatch = 4096;

    private readonly ConcurrentDictionary<ulong, TaskCompletionSource<Task<object>>> _waiters = new();
    private Task<object> _last = Task.FromResult<object>(0L);

    public ISnapshot? Snapshot => Volatile.Read(ref _snapshot);

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
        NoteTerm(entry.Index, entry.Term);
        if (entry.IsSnapshot)
        {
            await InstallAsync(entry, token).ConfigureAwait(false);
            return entry.Index;
        }

        long first = entry.Index * MaxBatch;
        bool deferred = !_installing.IsCompleted || !_deferred.IsCompleted;
        if (entry.IsConfiguration || (!deferred && first + MaxBatch - 1 <= Engine.AppliedIndex))
        {
            if (!deferred)
            {
                await MaybeMoveSnapshotAsync(entry.Index).ConfigureAwait(false);
            }

            return entry.Index;
        }

        var batch = await ReadAsync(entry, token).ConfigureAwait(false);
        if (batch is null)
        {
            // A new leader's empty entry for its term.
            return entry.Index;
        }

        if (deferred)
        {
            // An engine is being built from a snapshot: this entry goes to it, after it. DotNext's
            // apply loop must not wait for the build (a snapshot request would time out behind it).
            var before = Task.WhenAll(_deferred, _installing);
            var chained = Task.Run(async () =>
            {
                await before.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
                await ApplyBatchAsync(batch, first, track: false).ConfigureAwait(false);
            });
            _deferred = chained;
            Volatile.Write(ref _last, chained.ContinueWith(object (_) => 0L, TaskScheduler.Default));
            return entry.Index;
        }

        await ApplyBatchAsync(batch, first, track: true).ConfigureAwait(false);
        await MaybeMoveSnapshotAsync(entry.Index).ConfigureAwait(false);
        return entry.Index;
    }

    /// <summary>
    /// Starts each request's engine write in order (skipping those the engine already holds) and
    /// hands outcomes to waiting clients. Returns once all are visible. With <paramref name="track"/>,
    /// <see cref="LastApplied"/> follows each request.
    /// </summary>
    private async Task ApplyBatchAsync(InternalBatch batch, long first, bool track)
    {
        var started = new List<Task>(batch.Requests.Count);
        for (int i = 0; i < batch.Requests.Count; i++)
        {
            var request = batch.Requests[i];
            long position = first + i;
            if (position <= Engine.AppliedIndex)
            {
                continue;
            }

            Task<object> applied;
            if (request.OpCase == InternalRequest.OpOneofCase.Compaction)
            {
                // The engine compacts on the caller's thread: let every earlier write land first, and
                // finish before any later one starts, so every member compacts at the same point.
                await Task.WhenAll(started).ConfigureAwait(false);
                if (track)
                {
                    await _last.ConfigureAwait(false);
                }

                applied = Start(request, position);
                await applied.ConfigureAwait(false);
            }
            else
            {
                applied = Start(request, position);
            }

            started.Add(applied);
            if (track)
            {
                Volatile.Write(ref _last, applied);
            }

            if (request.Origin == _self && _waiters.TryRemove(request.Id, out var waiter))
            {
                waiter.TrySetResult(applied);
            }
        }

        if (!track)
        {
            await Task.WhenAll(started).ConfigureAwait(false);
        }
    }

    private void NoteTerm(long index, long term)
    {
        if (_termStarts.Count == 0 || _termStarts[^1].Term != term)
        {
            _termStarts.Add((index, term));
        }
    }

    /// <summary>Every <c>snapshotCount</c> entries: the point moves to <c>catchUp</c> entries behind <paramref name="applied"/>.</summary>
    private async ValueTask MaybeMoveSnapshotAsync(long applied)
    {
        if (applied - _lastPointCheck < _snapshotCount)
        {
            return;
        }

        _lastPointCheck = applied;
        long target = applied - _catchUp;
        if (target <= (Snapshot?.Index ?? 0))
        {
            return;
        }

        int at = _termStarts.FindLastIndex(t => t.Index <= target);
        if (at < 0)
        {
            return;
        }

        long term = _termStarts[at].Term;
        // Everything up to the point must be durable in the engine before the log before it goes: applied,
        // then flushed (the engine does not flush per write in a cluster).
        await _last.ConfigureAwait(false);
        await Engine.FlushAsync().ConfigureAwait(false);
        Publish(target, term);
        _termStarts.RemoveRange(0, at);
    }

    private void Publish(long index, long term)
    {
        WritePoint(Path.Combine(_raftDir, "snapshot"), index, term);
        Volatile.Write(ref _snapshot, new EngineSnapshot(_slot, index, term, _raftDir, () => _installing));
    }

    /// <summary>
    /// A leader's snapshot: the whole engine, swapped in for ours. The request must be answered
    /// within DotNext's request timeout, while building an engine takes longer: the snapshot is made
    /// durable (file, then its point) and acknowledged at once, and the engine is built in the
    /// background, after any build before it (an older one is skipped when a newer snapshot came).
    /// Later entries, reads that need them, and snapshots sent from here wait for it; a restart in
    /// between finishes the newest before the log is opened (<see cref="FinishPendingInstall"/>).
    /// </summary>
    private async ValueTask InstallAsync(LogEntry entry, CancellationToken token)
    {
        string path = Path.Combine(_raftDir, $"snapshot-install-{entry.Index}");
        await using (var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
        {
            await entry.WriteToAsync(file, 1 << 16, token).ConfigureAwait(false);
            file.Flush(flushToDisk: true);
        }

        WritePoint(path + ".point", entry.Index, entry.Term);
        _termStarts.Clear();
        _termStarts.Add((entry.Index, entry.Term));
        _lastPointCheck = entry.Index;
        Publish(entry.Index, entry.Term);
        long index = entry.Index;
        Volatile.Write(ref _newestInstall, index);
        var before = Task.WhenAll(_installing, _last, _deferred);
        var installing = Task.Run(async () =>
        {
            await before.ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
            if (Volatile.Read(ref _newestInstall) == index)
            {
                await FinishAsync(_slot, path).ConfigureAwait(false);
            }
            else
            {
                Forget(path);
            }
        });
        _installing = installing;
        Volatile.Write(ref _last, installing.ContinueWith(object (_) => 0L, TaskScheduler.Default));
    }

    private static async Task FinishAsync(EngineSlot slot, string path)
    {
        await using (var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous))
        {
            await slot.ReplaceAsync(file, $"{ReadPoint(path + ".point").Index}-{DateTime.UtcNow:yyyyMMddHHmmssfff}").ConfigureAwait(false);
        }

        Forget(path);
    }

    private static void Forget(string path)
    {
        File.Delete(path + ".point");
        File.Delete(path);
    }

    /// <summary>At start, before the log opens: finishes the newest snapshot install a crash interrupted.</summary>
    public static void FinishPendingInstall(EngineSlot slot, string raftDir)
    {
        var pending = Directory.GetFiles(raftDir, "snapshot-install-*.point").Select(p => p[..^".point".Length])
            .OrderBy(p => ReadPoint(p + ".point").Index).ToList();
        if (pending.Count == 0)
        {
            return;
        }

        FinishAsync(slot, pending[^1]).GetAwaiter().GetResult();
        foreach (var older in pending.SkipLast(1))
        {
            Forget(older);
        }
    }

    /// <summary>Waits for a snapshot being installed (an engine being built).</summary>
    public Task Installed => _installing;

    private static void WritePoint(string path, long index, long term)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, index);
        BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(8), term);
        using (var f = new FileStream(path + ".tmp", FileMode.Create, FileAccess.Write))
        {
            f.Write(bytes);
            f.Flush(flushToDisk: true);
        }

        File.Move(path + ".tmp", path, overwrite: true);
    }

    private static (long Index, long Term) ReadPoint(string path)
    {
        var bytes = File.ReadAllBytes(path);
        return (BinaryPrimitives.ReadInt64LittleEndian(bytes), BinaryPrimitives.ReadInt64LittleEndian(bytes.AsSpan(8)));
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
                InternalRequest.OpOneofCase.Put => Settle(Engine.PutAsync(r.Put.ToEngine(), index)),
                InternalRequest.OpOneofCase.DeleteRange => Settle(Engine.DeleteRangeAsync(r.DeleteRange.ToEngine(), index)),
                InternalRequest.OpOneofCase.Txn => Settle(Engine.TxnAsync(r.Txn.ToEngine(), index)),
                InternalRequest.OpOneofCase.Compaction => Settle(Engine.CompactAsync(r.Compaction.Revision, r.Compaction.Physical, index)),
                InternalRequest.OpOneofCase.LeaseGrant => Settle(Engine.LeaseGrantAsync(r.LeaseGrant.ID, r.LeaseGrant.TTL, index)),
                InternalRequest.OpOneofCase.LeaseRevoke => Settle(Engine.LeaseRevokeAsync(r.LeaseRevoke.ID, index)),
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
