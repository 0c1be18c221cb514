using KvCluster.Kv.Mvcc;

namespace KvCluster.ApiServer.Storage;

/// <summary>The txns behind create/update/delete, built once for both stores: "mod_revision == N → write, else read".</summary>
internal static class GuardedWrites
{
    public static TxnRequest Put(byte[] key, byte[] value, long modRevision) => Guarded(key, modRevision, RequestOp.Of(new PutRequest(key, value)));

    public static TxnRequest Delete(byte[] key, long modRevision) => Guarded(key, modRevision, RequestOp.Of(new DeleteRangeRequest(key)));

    private static TxnRequest Guarded(byte[] key, long modRevision, RequestOp write) =>
        new([new Compare(CompareResult.Equal, CompareTarget.Mod, key) { ModRevision = modRevision }],
            [write],
            [RequestOp.Of(new RangeRequest(key))]);

    public static WriteResult Result(TxnResponse r)
    {
        if (r.Succeeded)
        {
            return new WriteResult(true, r.Revision, null);
        }

        var kv = r.Responses.Count > 0 ? r.Responses[0].Range?.Kvs.FirstOrDefault() : null;
        return new WriteResult(false, r.Revision, kv is null ? null : new StoredObject(Keys.Text(kv.Key), kv.Value, kv.ModRevision));
    }
}
