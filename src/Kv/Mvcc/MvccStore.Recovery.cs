using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>Recovery logs a progress line every this many records or WAL entries.</summary>
    private const int ProgressEvery = 1_000_000;

    private long _checkpointedWal;

    /// <summary>
    /// Rebuilds the state: FASTER's last checkpoint (records + metadata), the index from a scan of its
    /// log, then the WAL entries after the checkpoint, replayed in order; then the compaction redone.
    /// </summary>
    private void Recover()
    {
        var started = System.Diagnostics.Stopwatch.StartNew();
        if (_records.RecoveryFailed)
        {
            KvLog.CheckpointMissing(_options.Logger, _options.DataDir);
        }

        if (_records.RecoveryFailed && _wal.IsTruncated)
        {
            throw KvException.Corrupt("no complete record checkpoint, and the write-ahead log no longer starts at the beginning");
        }

        var meta = _records.ReadMeta() is { } m ? StoreMeta.Decode(m) : StoreMeta.Empty;
        _applied = meta.Revision;
        _compactRev = meta.CompactRevision;
        _appliedIndex = meta.AppliedIndex;
        _checkpointedWal = meta.WalAddress;
        foreach (var (id, ttl) in meta.Leases)
        {
            _lessor.Grant(id, ttl);
        }

        var leases = new Dictionary<byte[], long>(ByteArrayComparer.Instance);
        var strays = new List<Revision>();
        foreach (var (rev, record) in LiveRecords(strays))
        {
            Restore(rev, record, leases);
        }

        int replayed = 0;
        foreach (var bytes in _wal.ReadFrom(meta.WalAddress))
        {
            Replay(WalEntry.Decode(bytes), leases);
            if (++replayed % ProgressEvery == 0)
            {
                KvLog.RecoveryProgress(_options.Logger, "wal entries replayed", replayed, started.ElapsedMilliseconds);
            }
        }

        foreach (var (key, lease) in leases)
        {
            _lessor.Attach(lease, key);
        }

        // Records of revisions past the recovered one were captured by a checkpoint but never made durable
        // in the WAL: they are not part of the state, and their revisions will be reused.
        foreach (var rev in strays.Where(r => r.Main > _applied))
        {
            _records.Delete(rev);
        }

        foreach (var rev in _index.Compact(_compactRev))
        {
            _records.Delete(rev);
        }

        _durable = _applied;
        _storedThrough = _applied;
        _everCompacted = _compactRev > 0;
        KvLog.StoreOpened(_options.Logger, _options.DataDir, _applied, _compactRev, _index.KeyCount, replayed, started.ElapsedMilliseconds);
    }

    /// <summary>The records of the checkpoint up to its revision, in revision order; later ones go to <paramref name="strays"/>.</summary>
    private IEnumerable<(Revision Rev, byte[] Record)> LiveRecords(List<Revision> strays)
    {
        var latest = new Dictionary<Revision, byte[]?>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        foreach (var (rev, record) in _records.Scan())
        {
            latest[rev] = record;
            if (latest.Count % ProgressEvery == 0)
            {
                KvLog.RecoveryProgress(_options.Logger, "records scanned", latest.Count, started.ElapsedMilliseconds);
            }
        }

        foreach (var (rev, record) in latest.Where(kv => kv.Value is not null).OrderBy(kv => kv.Key))
        {
            if (rev.Main > _applied)
            {
                strays.Add(rev);
                continue;
            }

            yield return (rev, record!);
        }
    }

    private void Restore(Revision rev, byte[] record, Dictionary<byte[], long> leases)
    {
        var kv = RecordCodec.Decode(record, rev.Main, out bool tombstone);
        _index.Restore(kv.Key, rev, tombstone, kv.CreateRevision, kv.Version, kv.Lease);
        if (tombstone || kv.Lease == 0)
        {
            leases.Remove(kv.Key);
        }
        else
        {
            leases[kv.Key] = kv.Lease;
        }
    }

    private void Replay(WalEntry e, Dictionary<byte[], long> leases)
    {
        _appliedIndex = Math.Max(_appliedIndex, e.AppliedIndex);
        switch (e.Type)
        {
            case WalEntryType.Write when e.Revision > _applied:
                foreach (var (sub, record) in e.Records)
                {
                    var rev = new Revision(e.Revision, sub);
                    _records.Upsert(rev, record);
                    Restore(rev, record, leases);
                }

                _applied = e.Revision;
                if (e.LeaseId != 0)
                {
                    _lessor.Remove(e.LeaseId);
                }

                break;
            case WalEntryType.LeaseGrant:
                _lessor.Grant(e.LeaseId, e.LeaseTtl);
                break;
            case WalEntryType.LeaseRevoke:
                _lessor.Remove(e.LeaseId);
                break;
            case WalEntryType.Compact:
                _compactRev = Math.Max(_compactRev, e.Revision);
                break;
        }
    }

    /// <summary>Checkpoints FASTER with the current metadata, then drops the WAL before it.</summary>
    public async Task CheckpointAsync(CancellationToken ct)
    {
        StoreMeta meta;
        lock (_writeLock)
        {
            // The checkpoint must hold every record up to the revision it names (the WAL after it holds the rest).
            EnsureStored(_applied);
            meta = new StoreMeta(_applied, _compactRev, _appliedIndex, _wal.TailAddress, _lessor.Export());
        }

        long started = System.Diagnostics.Stopwatch.GetTimestamp();
        await _records.CheckpointAsync(meta.Encode(), ct).ConfigureAwait(false);
        lock (_writeLock)
        {
            _wal.TruncateUntil(meta.WalAddress);
            _checkpointedWal = meta.WalAddress;
        }

        var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        KvMetrics.Checkpoint.Record(elapsed.TotalSeconds);
        KvLog.CheckpointTaken(_options.Logger, meta.Revision, meta.WalAddress, (long)elapsed.TotalMilliseconds);
    }

    private async Task CheckpointLoopAsync(CancellationToken ct)
    {
        var last = _options.Time.GetUtcNow();
        long lastRev = Revision;
        if (_options.CheckpointAtOpen)
        {
            try
            {
                // The first is a full checkpoint (hash index and log), the second a log-only one: each
                // kind costs most the first time it runs in a process.
                await CheckpointAsync(ct).ConfigureAwait(false);
                await CheckpointAsync(ct).ConfigureAwait(false);
                last = _options.Time.GetUtcNow();
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                KvLog.BackgroundFailed(_options.Logger, "checkpoint", e);
            }
        }

        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), _options.Time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            long walBytes = _wal.TailAddress - Volatile.Read(ref _checkpointedWal);
            bool due = _options.Time.GetUtcNow() - last >= _options.CheckpointInterval && Revision != lastRev;
            if (walBytes >= _options.CheckpointWalBytes || due)
            {
                try
                {
                    await CheckpointAsync(ct).ConfigureAwait(false);
                    last = _options.Time.GetUtcNow();
                    lastRev = Revision;
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // The WAL still holds everything: a failed checkpoint only delays truncation.
                    KvLog.BackgroundFailed(_options.Logger, "checkpoint", e);
                }
            }
        }
    }
}
