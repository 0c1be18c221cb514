global using Session = FASTER.core.ClientSession<FASTER.core.SpanByte, FASTER.core.SpanByte, FASTER.core.SpanByte, object?, FASTER.core.Empty, KvCluster.Kv.Storage.RecordFunctions>;
using FASTER.core;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Storage;

/// <summary>
/// Revision → record storage in a FasterKV hybrid log. Records are insert-once (every revision is
/// unique) and deleted only by compaction, so FASTER's in-place update paths are never needed.
/// One extra key holds the store's metadata, written just before each checkpoint so that it is
/// part of the same consistent cut. Thread-safe: each thread uses its own session.
/// </summary>
internal sealed class FasterRecordStore : IDisposable
{
    private static readonly byte[] MetaKey = "M:meta"u8.ToArray();

    private readonly IDevice _device;
    private readonly FasterKV<SpanByte, SpanByte> _kv;
    private readonly ThreadLocal<Session> _sessions;
    private bool _disposed;
    private readonly SemaphoreSlim _checkpointGate = new(1, 1);

    /// <summary>Checkpoints per index checkpoint; see <see cref="CheckpointAsync"/>.</summary>
    private const int IndexCheckpointEvery = 6;

    /// <summary>Tries to start a checkpoint, 10 ms apart, before giving up.</summary>
    private const int CheckpointStartAttempts = 300;

    // Guarded by _checkpointGate. The first checkpoint after opening is always a full one.
    private bool _indexCheckpointDue = true;
    private int _logOnlyCheckpoints;

    public FasterRecordStore(string dir, StorageOptions options)
    {
        Directory.CreateDirectory(dir);
        (_device, _kv) = Create(dir, options);
        _sessions = new ThreadLocal<Session>(NewSession, trackAllValues: true);
        string checkpoints = Path.Combine(dir, "checkpoints");
        if (!Directory.Exists(checkpoints) || !Directory.EnumerateFileSystemEntries(checkpoints).Any())
        {
            return;
        }

        try
        {
            _kv.Recover(undoNextVersion: true);
        }
        catch (FasterException)
        {
            // No complete checkpoint (a kill during the first one): start empty. The caller replays the
            // whole WAL, which is complete because it is only truncated after a checkpoint completes.
            _kv.Dispose();
            _device.Dispose();
            Directory.Delete(dir, recursive: true);
            Directory.CreateDirectory(dir);
            (_device, _kv) = Create(dir, options);
            RecoveryFailed = true;
        }
    }

    /// <summary>True when checkpoint files existed but none was complete; the store started empty.</summary>
    public bool RecoveryFailed { get; }

    private static (IDevice, FasterKV<SpanByte, SpanByte>) Create(string dir, StorageOptions options)
    {
        var device = Devices.CreateLogDevice(Path.Combine(dir, "records.log"), preallocateFile: false, deleteOnClose: false);
        var settings = new FasterKVSettings<SpanByte, SpanByte>(null, logger: null)
        {
            LogDevice = device,
            IndexSize = options.IndexBytes,
            MemorySize = options.MemoryBytes,
            PageSize = options.PageBytes,
            SegmentSize = 1L << 26,
            CheckpointDir = Path.Combine(dir, "checkpoints"),
            RemoveOutdatedCheckpoints = true,
            TryRecoverLatest = false,
            // Records are written once and never updated in place (every revision is a new key), and
            // deletes only flag them, so FASTER's per-record locking would buy nothing.
            ConcurrencyControlMode = ConcurrencyControlMode.None,
        };
        return (device, new FasterKV<SpanByte, SpanByte>(settings));
    }

    public long LogBytes => _kv.Log.TailAddress - _kv.Log.BeginAddress;

    /// <summary>Stores a revision's record; returns its address in the log (0 when not known), a hint for <see cref="ReadKeyValueAt"/>.</summary>
    public unsafe long Upsert(Revision rev, ReadOnlySpan<byte> record)
    {
        Span<byte> key = stackalloc byte[RecordCodec.RecordKeySize];
        RecordCodec.WriteRecordKey(key, rev);
        return UpsertRaw(key, record);
    }

    /// <summary>FASTER 2.6.5 keeps ReadOptions' setters internal, though ReadAtAddress takes its address there.</summary>
    [System.Runtime.CompilerServices.UnsafeAccessor(System.Runtime.CompilerServices.UnsafeAccessorKind.Method, Name = "set_StartAddress")]
    private static extern void SetStartAddress(ref ReadOptions options, long address);

    /// <summary>
    /// The record of <paramref name="rev"/> read straight at <paramref name="address"/> (no hash lookup), or null
    /// when it is not there any more (the log was compacted or the page left memory), so the caller reads by key.
    /// The record's own key is checked against the revision, so a stale address can never give another record.
    /// </summary>
    public unsafe KeyValue? ReadKeyValueAt(long address, Revision rev, byte[] key)
    {
        if (address < _kv.Log.HeadAddress)
        {
            return null;
        }

        Span<byte> expected = stackalloc byte[sizeof(long) + RecordCodec.RecordKeySize];
        System.Runtime.InteropServices.MemoryMarshal.Write(expected, rev.Main);
        RecordCodec.WriteRecordKey(expected[sizeof(long)..], rev);
        var s = Rent();
        fixed (byte* p = expected)
        {
            var input = new SpanByte(expected.Length, (IntPtr)p);
            object? output = key;
            var options = default(ReadOptions);
            SetStartAddress(ref options, address);
            var status = s.ReadAtAddress(ref input, ref output, ref options);
            if (status.IsPending)
            {
                s.CompletePending(wait: true);
                return null;
            }

            return status.Found ? output as KeyValue : null;
        }
    }

    public byte[]? Read(Revision rev)
    {
        Span<byte> key = stackalloc byte[RecordCodec.RecordKeySize];
        RecordCodec.WriteRecordKey(key, rev);
        return (byte[]?)ReadRaw(key, decodeAt: 0);
    }

    /// <summary>
    /// The record of a revision decoded straight out of FASTER's log (no intermediate copy), or null.
    /// <paramref name="key"/>: the index's array of the record's key, shared by the result (see <see cref="RecordCodec.Decode"/>).
    /// </summary>
    public KeyValue? ReadKeyValue(Revision rev, byte[] key)
    {
        Span<byte> recordKey = stackalloc byte[RecordCodec.RecordKeySize];
        RecordCodec.WriteRecordKey(recordKey, rev);
        return (KeyValue?)ReadRaw(recordKey, decodeAt: rev.Main, output: key);
    }

    public void Delete(Revision rev)
    {
        Span<byte> key = stackalloc byte[RecordCodec.RecordKeySize];
        RecordCodec.WriteRecordKey(key, rev);
        var s = Rent();
        var k = SpanByte.FromFixedSpan(key);
        var status = s.Delete(ref k);
        if (status.IsPending)
        {
            s.CompletePending(wait: true);
        }
    }

    public byte[]? ReadMeta() => (byte[]?)ReadRaw(MetaKey, decodeAt: 0);

    /// <summary>
    /// Writes <paramref name="meta"/> and takes a checkpoint that contains it and every record upserted
    /// before this call. Records upserted concurrently may or may not be included: the WAL replays them.
    /// </summary>
    public async Task CheckpointAsync(byte[] meta, CancellationToken ct)
    {
        await _checkpointGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            UpsertRaw(MetaKey, meta);
            // The hash index (IndexBytes, 16 MiB by default) is written only every IndexCheckpointEvery
            // checkpoints, and after a log compaction; the others are log-only. Recovery takes the newest
            // index checkpoint and the newest log checkpoint and rebuilds the index from the log between them.
            bool full = _indexCheckpointDue || ++_logOnlyCheckpoints >= IndexCheckpointEvery;
            for (int attempt = 1; ; attempt++)
            {
                bool started = full
                    ? _kv.TryInitiateFullCheckpoint(out _, CheckpointType.FoldOver)
                    : _kv.TryInitiateHybridLogCheckpoint(out _, CheckpointType.FoldOver);
                if (started)
                {
                    await CompleteCheckpointAsync(ct).ConfigureAwait(false);
                    break;
                }

                // FASTER refuses to start while the previous checkpoint's state machine is still winding
                // down (back-to-back checkpoints); a session refresh moves it on.
                if (attempt == CheckpointStartAttempts)
                {
                    throw new IOException("FASTER checkpoint did not complete");
                }

                Rent().Refresh();
                await Task.Delay(10, ct).ConfigureAwait(false);
            }

            if (full)
            {
                _indexCheckpointDue = false;
                _logOnlyCheckpoints = 0;
            }
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    /// <summary>
    /// Waits for the checkpoint just started to complete, without spinning. FASTER's own wait
    /// (<c>CompleteCheckpointAsync</c>, which <c>Take…CheckpointAsync</c> awaits) steps the state machine in a
    /// loop that never yields while a phase waits for other sessions or for the flush: it kept a core busy
    /// (and allocated a list per turn) for the whole checkpoint, 0.2–1 s every 64 MiB of WAL under load, on
    /// a machine that may have two. The writers' own operations move the state machine on as they go; this
    /// refreshes a session every millisecond, so a checkpoint also completes when nothing is written.
    /// </summary>
    private async Task CompleteCheckpointAsync(CancellationToken ct)
    {
        var deadline = DateTime.UtcNow + CheckpointTimeout;
        while (_kv.SystemState.Phase != Phase.REST)
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new IOException($"FASTER checkpoint did not complete in {CheckpointTimeout.TotalSeconds:N0} s (phase {_kv.SystemState.Phase})");
            }

            Rent().Refresh();
            await Task.Delay(1, ct).ConfigureAwait(false);
        }
    }

    /// <summary>How long a checkpoint may take before the store reports its log as failing.</summary>
    private static readonly TimeSpan CheckpointTimeout = TimeSpan.FromMinutes(5);

    /// <summary>Every live record in the log, in log order (a record may be seen before its delete).</summary>
    public IEnumerable<(Revision Rev, byte[]? Record)> Scan()
    {
        using var iter = _kv.Log.Scan(_kv.Log.BeginAddress, _kv.Log.TailAddress);
        while (iter.GetNext(out var info))
        {
            ref var k = ref iter.GetKey();
            if (!RecordCodec.TryReadRecordKey(k.AsReadOnlySpan(), out var rev))
            {
                continue;
            }

            if (info.Invalid)
            {
                // Left over from a version after the recovered checkpoint: not part of the state.
                continue;
            }

            if (info.Tombstone)
            {
                yield return (rev, null);
                continue;
            }

            ref var v = ref iter.GetValue();
            yield return (rev, v.ToByteArray());
        }
    }

    /// <summary>
    /// Reclaims the space of deleted records: freezes the whole log (records are never updated in
    /// place, so nothing is lost by that), copies its live records to the tail, and drops the old part.
    /// Segment files wholly before the new begin address are deleted from disk.
    /// </summary>
    public void CompactLog()
    {
        _checkpointGate.Wait();
        try
        {
            _kv.Log.ShiftReadOnlyAddress(_kv.Log.TailAddress, wait: true);
            long until = _kv.Log.SafeReadOnlyAddress;
            if (until <= _kv.Log.BeginAddress)
            {
                return;
            }

            var s = Rent();
            long compacted = s.Compact(until, CompactionType.Scan);
            _kv.Log.ShiftBeginAddress(compacted, truncateLog: true);
            _indexCheckpointDue = true; // The last index checkpoint points into the dropped part.
        }
        finally
        {
            _checkpointGate.Release();
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        foreach (var s in _sessions.Values)
        {
            s.Dispose();
        }

        _sessions.Dispose();

        _kv.Dispose();
        _device.Dispose();
        _checkpointGate.Dispose();
    }

    private unsafe long UpsertRaw(ReadOnlySpan<byte> key, ReadOnlySpan<byte> value)
    {
        var s = Rent();
        fixed (byte* kp = key)
        fixed (byte* vp = value)
        {
            var k = new SpanByte(key.Length, (IntPtr)kp);
            var v = new SpanByte(value.Length, (IntPtr)vp);
            SpanByte input = default;
            object? output = null;
            var status = s.Upsert(ref k, ref input, ref v, ref output, out RecordMetadata meta);
            if (status.IsPending)
            {
                s.CompletePending(wait: true);
                return 0;
            }

            return meta.Address;
        }
    }

    /// <summary>
    /// Reads a value: raw bytes when <paramref name="decodeAt"/> is 0, else a KeyValue with that mod revision.
    /// <paramref name="output"/> goes in as the known key of the record (or null) and comes out as the result.
    /// </summary>
    private unsafe object? ReadRaw(ReadOnlySpan<byte> key, long decodeAt, object? output = null)
    {
        var s = Rent();
        long mod = decodeAt;
        fixed (byte* kp = key)
        {
            var k = new SpanByte(key.Length, (IntPtr)kp);
            var input = decodeAt == 0 ? default : new SpanByte(sizeof(long), (IntPtr)(&mod));
            var status = s.Read(ref k, ref input, ref output);
            if (status.IsPending)
            {
                s.CompletePendingWithOutputs(out var outputs, wait: true);
                using (outputs)
                {
                    while (outputs.Next())
                    {
                        status = outputs.Current.Status;
                        output = outputs.Current.Output;
                    }
                }
            }

            return status.Found ? output : null;
        }
    }

    // One session per thread: sessions are not thread-safe, every use is synchronous, so a thread never
    // needs two at once. They are disposed with the store.
    private Session Rent() => _sessions.Value!;

    private Session NewSession() => _kv.For(new RecordFunctions()).NewSession<RecordFunctions>();
}

/// <summary>Sizes of the FASTER store. Defaults suit a few million keys on a small machine.</summary>
public sealed record StorageOptions
{
    /// <summary>Bytes of FASTER's hash index (64 bytes per bucket).</summary>
    public long IndexBytes { get; init; } = 1L << 24;

    /// <summary>Bytes of the in-memory part of the hybrid log; older records are read from disk.</summary>
    public long MemoryBytes { get; init; } = 1L << 29;

    public long PageBytes { get; init; } = 1L << 22;
}

/// <summary>
/// FASTER callbacks for records: writes copy the value span in (the base class); reads either copy
/// the bytes out or, when the input carries a mod revision, decode the KeyValue directly from the log.
/// </summary>
internal sealed class RecordFunctions : SpanByteFunctions<SpanByte, object?, Empty>
{
    public override bool SingleReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref object? dst, ref ReadInfo readInfo) =>
        Read(ref key, ref input, ref value, ref dst);

    public override bool ConcurrentReader(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref object? dst, ref ReadInfo readInfo) =>
        Read(ref key, ref input, ref value, ref dst);

    /// <summary>
    /// A read at an address carries the record key it expects after the mod revision: any other record there is not
    /// it (false: not found). Otherwise the value is materialized into <paramref name="dst"/>.
    /// </summary>
    private static bool Read(ref SpanByte key, ref SpanByte input, ref SpanByte value, ref object? dst)
    {
        if (input.Length == sizeof(long) + RecordCodec.RecordKeySize && !key.AsReadOnlySpan().SequenceEqual(input.AsReadOnlySpan()[sizeof(long)..]))
        {
            return false;
        }

        dst = Materialize(ref input, ref value, dst);
        return true;
    }

    // dst comes in holding the record's known key (a byte[]) or null.
    private static object Materialize(ref SpanByte input, ref SpanByte value, object? dst) =>
        input.Length >= sizeof(long)
            ? RecordCodec.Decode(value.AsReadOnlySpan(), System.Runtime.InteropServices.MemoryMarshal.Read<long>(input.AsReadOnlySpan()), out _, dst as byte[])
            : value.ToByteArray();
}
