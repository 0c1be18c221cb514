using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>Serializes physical compaction with snapshots, which need every record they list to stay.</summary>
    private readonly SemaphoreSlim _compactGate = new(1, 1);
    private readonly object _compactChain = new();
    private Task _physicalCompaction = Task.CompletedTask;

    /// <summary>
    /// A compaction happened: etcd's compacted revision starts at -1, so a fresh store accepts one
    /// compaction at revision 0 and reports -1 until then. Derived from the compacted revision on
    /// recovery (a compaction at 0 alone is forgotten). Written under _writeLock.
    /// </summary>
    private bool _everCompacted;

    /// <summary>Below this many removed records a compaction deletes them but leaves FASTER's log as it is.</summary>
    private const int LogCompactionThreshold = 1024;

    public async ValueTask<CompactResponse> CompactAsync(long revision, bool physical = false, long appliedIndex = 0, CancellationToken ct = default)
    {
        List<Revision> removed;
        Task durable;
        lock (_writeLock)
        {
            ThrowIfDisposed();
            // As etcd, whose compacted revision starts at -1: a fresh store can be compacted at 0, once.
            if (revision < _compactRev || (revision == _compactRev && (revision > 0 || _everCompacted)))
            {
                throw KvException.Compacted();
            }

            // Against the durable revision, the newest one clients can have seen: compacting past it
            // would make reads at the current revision fail.
            if (revision > Volatile.Read(ref _durable))
            {
                throw KvException.FutureRevision();
            }

            Volatile.Write(ref _compactRev, revision);
            _everCompacted = true;
            if (appliedIndex > _appliedIndex)
            {
                Volatile.Write(ref _appliedIndex, appliedIndex);
            }

            removed = _index.Compact(revision);
            durable = AppendUnderLock(new WalEntry(WalEntryType.Compact, appliedIndex) { Revision = revision });
        }

        await durable.ConfigureAwait(false);
        _hub.Kick();
        var job = RunPhysicalCompaction(removed, ct);
        if (physical)
        {
            await job.ConfigureAwait(false);
        }

        return new CompactResponse(Revision);
    }

    /// <summary>Deletes the records no read can reach any more, then lets FASTER reclaim the space.</summary>
    private Task RunPhysicalCompaction(List<Revision> removed, CancellationToken ct)
    {
        lock (_compactChain)
        {
            var previous = _physicalCompaction;
            _physicalCompaction = Task.Run(async () =>
            {
                await previous.ConfigureAwait(false);
                await _compactGate.WaitAsync(ct).ConfigureAwait(false);
                long started = System.Diagnostics.Stopwatch.GetTimestamp();
                try
                {
                    foreach (var rev in removed)
                    {
                        _records.Delete(rev);
                    }

                    if (removed.Count >= LogCompactionThreshold)
                    {
                        _records.CompactLog();
                    }

                    KvLog.Compacted(_options.Logger, CompactRevision, removed.Count, (long)System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
                finally
                {
                    _compactGate.Release();
                }
            }, ct);
            return _physicalCompaction;
        }
    }
}
