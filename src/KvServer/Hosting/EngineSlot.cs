using KvCluster.Kv;
using KvCluster.Kv.Lease;
using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Watch;

namespace KvCluster.KvServer.Hosting;

/// <summary>
/// The engine a member serves from, which a Raft snapshot can replace whole: a follower too far
/// behind receives the leader's store and swaps it in. Every service reaches the engine through
/// here. Watches on a replaced engine end (clients watch again, from a revision the new one has).
/// Which data dir holds the current engine is recorded in member/kv.current.
/// </summary>
public sealed class EngineSlot : IWatchableKv, ILeases, IStoreMaintenance, IAsyncDisposable
{
    private readonly string _memberDir;
    private readonly Func<string, StoreOptions> _options;
    private MvccStore _current;

    public EngineSlot(string memberDir, Func<string, StoreOptions> options)
    {
        _memberDir = memberDir;
        _options = options;
        string pointer = Path.Combine(memberDir, "kv.current");
        string dir = File.Exists(pointer) ? File.ReadAllText(pointer).Trim() : "kv";
        _current = MvccStore.Open(options(Path.Combine(memberDir, dir)));
    }

    public MvccStore Current => Volatile.Read(ref _current);

    /// <summary>Raised after a replacement, with the new engine.</summary>
    public event Action<MvccStore>? Replaced;

    /// <summary>Builds a new engine from a snapshot stream in a fresh data dir, swaps it in, and drops the old one.</summary>
    public async Task ReplaceAsync(Stream snapshot, string name)
    {
        string dir = $"kv-{name}";
        string path = Path.Combine(_memberDir, dir);
        if (Directory.Exists(path))
        {
            Directory.Delete(path, recursive: true);
        }

        var fresh = MvccStore.Restore(snapshot, _options(path));
        var old = Interlocked.Exchange(ref _current, fresh);
        string pointer = Path.Combine(_memberDir, "kv.current");
        await File.WriteAllTextAsync(pointer + ".tmp", dir).ConfigureAwait(false);
        File.Move(pointer + ".tmp", pointer, overwrite: true);
        Replaced?.Invoke(fresh);
        string oldDir = old.DataDir;
        await old.DisposeAsync().ConfigureAwait(false);
        Directory.Delete(oldDir, recursive: true);
    }

    public long Revision => Current.Revision;

    public long CompactRevision => Current.CompactRevision;

    public long AppliedIndex => Current.AppliedIndex;

    public (int Total, int Slow) WatcherCounts => Current.WatcherCounts;

    public long DiskBytes => Current.DiskBytes;

    public long RecordLogBytes => Current.RecordLogBytes;

    public RangeResponse Range(RangeRequest request) => Current.Range(request);

    public ValueTask<PutResponse> PutAsync(PutRequest request, long appliedIndex = 0, CancellationToken ct = default) => Current.PutAsync(request, appliedIndex, ct);

    public ValueTask<DeleteRangeResponse> DeleteRangeAsync(DeleteRangeRequest request, long appliedIndex = 0, CancellationToken ct = default) => Current.DeleteRangeAsync(request, appliedIndex, ct);

    public ValueTask<TxnResponse> TxnAsync(TxnRequest request, long appliedIndex = 0, CancellationToken ct = default) => Current.TxnAsync(request, appliedIndex, ct);

    public ValueTask<IReadOnlyList<ApplyResult>> ApplyAsync(IReadOnlyList<RequestOp> requests, long appliedIndex = 0, CancellationToken ct = default) => Current.ApplyAsync(requests, appliedIndex, ct);

    public ValueTask<CompactResponse> CompactAsync(long revision, bool physical = false, long appliedIndex = 0, CancellationToken ct = default) => Current.CompactAsync(revision, physical, appliedIndex, ct);

    public HashKvResponse HashKv(long revision) => Current.HashKv(revision);

    public Watcher Watch(WatchRequest request) => Current.Watch(request);

    public ValueTask<LeaseGrant> LeaseGrantAsync(long id, long ttl, long appliedIndex = 0, CancellationToken ct = default) => Current.LeaseGrantAsync(id, ttl, appliedIndex, ct);

    public ValueTask<long> LeaseRevokeAsync(long id, long appliedIndex = 0, CancellationToken ct = default) => Current.LeaseRevokeAsync(id, appliedIndex, ct);

    public long LeaseKeepAlive(long id) => Current.LeaseKeepAlive(id);

    public LeaseStatus LeaseTimeToLive(long id, bool keys) => Current.LeaseTimeToLive(id, keys);

    public IReadOnlyList<long> Leases() => Current.Leases();

    public Task<long> SnapshotAsync(Stream output, CancellationToken ct = default) => Current.SnapshotAsync(output, ct);

    public Task DefragmentAsync(CancellationToken ct = default) => Current.DefragmentAsync(ct);

    public ValueTask DisposeAsync() => Current.DisposeAsync();
}
