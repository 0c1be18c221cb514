using System.Runtime.CompilerServices;
using KvCluster.Kv;
using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Watch;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvCluster.ApiServer.Storage;

/// <summary>The store in process: src/Kv's engine, no network in between (the single-machine default).</summary>
public sealed class EmbeddedStore(MvccStore engine) : IObjectStore
{
    public MvccStore Engine { get; } = engine;

    /// <summary>
    /// Opens the engine in <paramref name="dataDir"/>. Its first checkpoint (the full hash index, and the
    /// first run of FASTER's checkpoint code) is taken at open, while the server is idle: left to the
    /// 10 s timer it fell into the first load, and took ~0.3 s of CPU (pod starts 290 to 700 ms instead of ~120).
    /// </summary>
    public static EmbeddedStore Open(string dataDir, ILogger? logger = null) => new(MvccStore.Open(new StoreOptions
    {
        DataDir = dataDir,
        CheckpointAtOpen = true,
        Logger = logger ?? NullLogger.Instance,
    }));

    public Task<long> CurrentRevisionAsync(CancellationToken ct) => Task.FromResult(Engine.Revision);

    public Task<StoredObject?> GetAsync(string key, CancellationToken ct)
    {
        var kv = Engine.Range(new RangeRequest(Keys.Bytes(key))).Kvs.FirstOrDefault();
        return Task.FromResult(kv is null ? null : new StoredObject(key, kv.Value, kv.ModRevision));
    }

    public Task<StoredList> ListAsync(string prefix, long revision, string? startAfter, long limit, CancellationToken ct)
    {
        var p = Keys.Bytes(prefix);
        var from = startAfter is null ? p : [.. Keys.Bytes(startAfter), 0];
        try
        {
            var r = Engine.Range(new RangeRequest(from, Keys.PrefixEnd(p)) { Revision = revision, Limit = limit });
            var items = r.Kvs.Select(kv => new StoredObject(Keys.Text(kv.Key), kv.Value, kv.ModRevision)).ToList();
            return Task.FromResult(new StoredList(r.Revision, items, r.More, r.Count - items.Count));
        }
        catch (KvException e) when (e.Code == KvErrorCode.Compacted)
        {
            throw new StoreCompactedException(Engine.CompactRevision);
        }
    }

    public Task<WriteResult> CreateAsync(string key, byte[] value, CancellationToken ct) => UpdateAsync(key, value, 0, ct);

    public async Task<WriteResult> UpdateAsync(string key, byte[] value, long modRevision, CancellationToken ct) =>
        GuardedWrites.Result(await Engine.TxnAsync(GuardedWrites.Put(Keys.Bytes(key), value, modRevision), ct: ct));

    public async Task<WriteResult> DeleteAsync(string key, long modRevision, CancellationToken ct) =>
        GuardedWrites.Result(await Engine.TxnAsync(GuardedWrites.Delete(Keys.Bytes(key), modRevision), ct: ct));

    public IStoreWatch Watch(string prefix, long fromRevision)
    {
        var p = Keys.Bytes(prefix);
        return new EngineWatch(Engine.Watch(new WatchRequest(p, Keys.PrefixEnd(p)) { StartRevision = fromRevision, PrevKv = true }));
    }

    private sealed class EngineWatch(Watcher watcher) : IStoreWatch
    {
        public async IAsyncEnumerable<StoreEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
        {
            await foreach (var response in watcher.Responses.ReadAllAsync(ct))
            {
                if (response.Canceled)
                {
                    throw new StoreCompactedException(response.CompactRevision);
                }

                if (response.IsProgressNotify)
                {
                    yield return new StoreEvent(StoreEventType.Progress, "", [], response.Revision, false);
                    continue;
                }

                foreach (var e in response.Events)
                {
                    yield return e.Type == EventType.Put
                        ? new StoreEvent(StoreEventType.Put, Keys.Text(e.Kv.Key), e.Kv.Value, e.Kv.ModRevision, e.Kv.Version == 1)
                        : new StoreEvent(StoreEventType.Delete, Keys.Text(e.Kv.Key), e.PrevKv?.Value ?? [], e.Kv.ModRevision, false);
                }
            }
        }

        // A watcher catching up from the store sends no progress (it is behind anyway): the caller asks again later.
        public Task RequestProgressAsync(CancellationToken ct)
        {
            watcher.RequestProgress();
            return Task.CompletedTask;
        }

        public ValueTask DisposeAsync()
        {
            watcher.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    public ValueTask DisposeAsync() => Engine.DisposeAsync();
}
