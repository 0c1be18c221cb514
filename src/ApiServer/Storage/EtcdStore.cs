using System.Runtime.CompilerServices;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Etcd = KvCluster.KvServer.Api;

namespace KvCluster.ApiServer.Storage;

/// <summary>
/// The store over etcd's v3 gRPC protocol (--etcd-servers): a kvserver cluster or a real etcd 3.4+.
/// Calls go to one endpoint; when it is unreachable the next one is tried.
/// </summary>
public sealed class EtcdStore : IObjectStore
{
    private readonly GrpcChannel[] _channels;
    private int _current;

    public EtcdStore(IEnumerable<string> endpoints)
    {
        _channels = [.. endpoints.Select(e => GrpcChannel.ForAddress(e.Contains("://", StringComparison.Ordinal) ? e : "http://" + e))];
        if (_channels.Length == 0)
        {
            throw new ArgumentException("no etcd endpoint given", nameof(endpoints));
        }
    }

    public async Task<long> CurrentRevisionAsync(CancellationToken ct) =>
        (await Call((kv, c) => kv.RangeAsync(new Etcd.RangeRequest { Key = ByteString.CopyFromUtf8("/"), CountOnly = true }, cancellationToken: c).ResponseAsync, ct)).Header.Revision;

    public async Task<StoredObject?> GetAsync(string key, CancellationToken ct)
    {
        var r = await Call((kv, c) => kv.RangeAsync(new Etcd.RangeRequest { Key = ByteString.CopyFromUtf8(key) }, cancellationToken: c).ResponseAsync, ct);
        return r.Kvs.Count == 0 ? null : ToObject(r.Kvs[0]);
    }

    public async Task<StoredList> ListAsync(string prefix, long revision, string? startAfter, long limit, CancellationToken ct)
    {
        var p = Keys.Bytes(prefix);
        var request = new Etcd.RangeRequest
        {
            Key = ByteString.CopyFrom(startAfter is null ? p : [.. Keys.Bytes(startAfter), 0]),
            RangeEnd = ByteString.CopyFrom(Keys.PrefixEnd(p)),
            Revision = revision,
            Limit = limit,
        };
        try
        {
            var r = await Call((kv, c) => kv.RangeAsync(request, cancellationToken: c).ResponseAsync, ct);
            return new StoredList(r.Header.Revision, [.. r.Kvs.Select(ToObject)], r.More, r.Count - r.Kvs.Count);
        }
        catch (RpcException e) when (e.Status.Detail.Contains("compacted", StringComparison.Ordinal))
        {
            throw new StoreCompactedException(0);
        }
    }

    public Task<WriteResult> CreateAsync(string key, byte[] value, CancellationToken ct) => UpdateAsync(key, value, 0, ct);

    public Task<WriteResult> UpdateAsync(string key, byte[] value, long modRevision, CancellationToken ct) =>
        Guarded(key, modRevision, new Etcd.RequestOp { RequestPut = new Etcd.PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFrom(value) } }, ct);

    public Task<WriteResult> DeleteAsync(string key, long modRevision, CancellationToken ct) =>
        Guarded(key, modRevision, new Etcd.RequestOp { RequestDeleteRange = new Etcd.DeleteRangeRequest { Key = ByteString.CopyFromUtf8(key) } }, ct);

    private async Task<WriteResult> Guarded(string key, long modRevision, Etcd.RequestOp write, CancellationToken ct)
    {
        var k = ByteString.CopyFromUtf8(key);
        var txn = new Etcd.TxnRequest();
        txn.Compare.Add(new Etcd.Compare { Key = k, Target = Etcd.Compare.Types.CompareTarget.Mod, Result = Etcd.Compare.Types.CompareResult.Equal, ModRevision = modRevision });
        txn.Success.Add(write);
        txn.Failure.Add(new Etcd.RequestOp { RequestRange = new Etcd.RangeRequest { Key = k } });
        var r = await Call((kv, c) => kv.TxnAsync(txn, cancellationToken: c).ResponseAsync, ct);
        if (r.Succeeded)
        {
            return new WriteResult(true, r.Header.Revision, null);
        }

        var kvs = r.Responses.Count > 0 ? r.Responses[0].ResponseRange.Kvs : null;
        return new WriteResult(false, r.Header.Revision, kvs is { Count: > 0 } ? ToObject(kvs[0]) : null);
    }

    public IStoreWatch Watch(string prefix, long fromRevision) =>
        new RemoteWatch(new Etcd.Watch.WatchClient(_channels[Volatile.Read(ref _current) % _channels.Length]), prefix, fromRevision);

    /// <summary>One etcd watch stream with one watcher; progress requests go on the same stream.</summary>
    private sealed class RemoteWatch(Etcd.Watch.WatchClient client, string prefix, long fromRevision) : IStoreWatch
    {
        private readonly SemaphoreSlim _send = new(1, 1);
        private readonly CancellationTokenSource _stop = new();
        private AsyncDuplexStreamingCall<Etcd.WatchRequest, Etcd.WatchResponse>? _call;

        public async IAsyncEnumerable<StoreEvent> ReadAllAsync([EnumeratorCancellation] CancellationToken ct)
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, _stop.Token);
            var p = Keys.Bytes(prefix);
            _call = client.Watch(headers: new Metadata { { "hasleader", "true" } }, cancellationToken: linked.Token);
            await SendAsync(new Etcd.WatchRequest
            {
                CreateRequest = new Etcd.WatchCreateRequest
                {
                    Key = ByteString.CopyFrom(p),
                    RangeEnd = ByteString.CopyFrom(Keys.PrefixEnd(p)),
                    StartRevision = fromRevision,
                    PrevKv = true,
                },
            }, linked.Token);
            await foreach (var response in _call.ResponseStream.ReadAllAsync(linked.Token))
            {
                if (response.Canceled)
                {
                    if (response.CompactRevision > 0)
                    {
                        throw new StoreCompactedException(response.CompactRevision);
                    }

                    throw new InvalidOperationException("etcd watch canceled: " + response.CancelReason);
                }

                if (response.Events.Count == 0)
                {
                    // Created, or a progress notification: either way every change up to the header's revision has been sent.
                    if (!response.Created)
                    {
                        yield return new StoreEvent(StoreEventType.Progress, "", [], response.Header.Revision, false);
                    }

                    continue;
                }

                foreach (var e in response.Events)
                {
                    yield return e.Type == Etcd.MvccPb.Event.Types.EventType.Put
                        ? new StoreEvent(StoreEventType.Put, e.Kv.Key.ToStringUtf8(), e.Kv.Value.ToByteArray(), e.Kv.ModRevision, e.Kv.Version == 1)
                        : new StoreEvent(StoreEventType.Delete, e.Kv.Key.ToStringUtf8(), e.PrevKv?.Value.ToByteArray() ?? [], e.Kv.ModRevision, false);
                }
            }
        }

        public Task RequestProgressAsync(CancellationToken ct) =>
            _call is null ? Task.CompletedTask : SendAsync(new Etcd.WatchRequest { ProgressRequest = new Etcd.WatchProgressRequest() }, ct);

        private async Task SendAsync(Etcd.WatchRequest request, CancellationToken ct)
        {
            await _send.WaitAsync(ct);
            try
            {
                await _call!.RequestStream.WriteAsync(request, ct);
            }
            finally
            {
                _send.Release();
            }
        }

        public ValueTask DisposeAsync()
        {
            _stop.Cancel();
            _call?.Dispose();
            _stop.Dispose();
            _send.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    private static StoredObject ToObject(Etcd.MvccPb.KeyValue kv) => new(kv.Key.ToStringUtf8(), kv.Value.ToByteArray(), kv.ModRevision);

    /// <summary>Runs a unary call on the current endpoint, moving to the next one while endpoints are unreachable.</summary>
    private async Task<T> Call<T>(Func<Etcd.KV.KVClient, CancellationToken, Task<T>> call, CancellationToken ct)
    {
        for (var attempt = 0; ; attempt++)
        {
            var index = Volatile.Read(ref _current);
            try
            {
                return await call(new Etcd.KV.KVClient(_channels[index % _channels.Length]), ct);
            }
            catch (RpcException e) when (e.StatusCode == StatusCode.Unavailable && attempt < _channels.Length * 3)
            {
                Interlocked.CompareExchange(ref _current, index + 1, index);
                await Task.Delay(100 * (attempt / _channels.Length), ct);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        foreach (var c in _channels)
        {
            c.Dispose();
        }

        return ValueTask.CompletedTask;
    }
}
