using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Auth;
using KvCluster.KvServer.Consensus;
using KvCluster.KvServer.Hosting;
using KvCluster.KvServer.Maintenance;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's KV service: validate → authorize → call the engine → fill the header. Errors are translated by <see cref="RpcInterceptor"/>.</summary>
public sealed class KvService(IKv kv, IConsensus consensus, LocalMember member, AuthStore auth, Quota quota, Limits limits) : KV.KVBase
{
    public override async Task<RangeResponse> Range(RangeRequest request, ServerCallContext context)
    {
        if (auth.Enabled)
        {
            auth.CheckRange(auth.UserOf(context), request.Key.ToByteArray(), request.RangeEnd.ToByteArray());
        }

        if (!request.Serializable)
        {
            await consensus.ReadBarrierAsync(context.CancellationToken);
        }

        var r = kv.Range(request.ToEngine());
        return r.ToProto(member.Header(r.Revision));
    }

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        int size = limits.CheckSize(request);
        if (auth.Enabled)
        {
            auth.CheckPut(auth.UserOf(context), request.Key.ToByteArray());
        }

        quota.CheckWrite(size);
        var r = await consensus.PutAsync(request, context.CancellationToken);
        return r.ToProto(member.Header(r.Revision));
    }

    public override async Task<DeleteRangeResponse> DeleteRange(DeleteRangeRequest request, ServerCallContext context)
    {
        limits.CheckSize(request);
        if (auth.Enabled)
        {
            auth.CheckDeleteRange(auth.UserOf(context), request.Key.ToByteArray(), request.RangeEnd.ToByteArray());
        }

        var r = await consensus.DeleteRangeAsync(request, context.CancellationToken);
        return r.ToProto(member.Header(r.Revision));
    }

    public override async Task<TxnResponse> Txn(TxnRequest request, ServerCallContext context)
    {
        int size = limits.CheckSize(request);
        CheckTxn(auth.UserOf(context), request);
        if (HasPut(request))
        {
            quota.CheckWrite(size);
        }

        var r = await consensus.TxnAsync(request, context.CancellationToken);
        return r.ToProto(member.Header(r.Revision));
    }

    public override async Task<CompactionResponse> Compact(CompactionRequest request, ServerCallContext context)
    {
        auth.CheckAdmin(auth.UserOf(context));
        var r = await consensus.CompactAsync(request, context.CancellationToken);
        return new CompactionResponse { Header = member.Header(r.Revision) };
    }

    /// <summary>Every key a txn compares or reads needs read permission; every key it writes, write permission.</summary>
    private void CheckTxn(string? user, TxnRequest txn)
    {
        if (!auth.Enabled)
        {
            return;
        }

        foreach (var c in txn.Compare)
        {
            auth.CheckRange(user, c.Key.ToByteArray(), c.RangeEnd.ToByteArray());
        }

        foreach (var op in txn.Success.Concat(txn.Failure))
        {
            switch (op.RequestCase)
            {
                case RequestOp.RequestOneofCase.RequestRange:
                    auth.CheckRange(user, op.RequestRange.Key.ToByteArray(), op.RequestRange.RangeEnd.ToByteArray());
                    break;
                case RequestOp.RequestOneofCase.RequestPut:
                    auth.CheckPut(user, op.RequestPut.Key.ToByteArray());
                    break;
                case RequestOp.RequestOneofCase.RequestDeleteRange:
                    auth.CheckDeleteRange(user, op.RequestDeleteRange.Key.ToByteArray(), op.RequestDeleteRange.RangeEnd.ToByteArray());
                    break;
                case RequestOp.RequestOneofCase.RequestTxn:
                    CheckTxn(user, op.RequestTxn);
                    break;
            }
        }
    }

    private static bool HasPut(TxnRequest txn) => txn.Success.Concat(txn.Failure).Any(op =>
        op.RequestCase == RequestOp.RequestOneofCase.RequestPut || (op.RequestCase == RequestOp.RequestOneofCase.RequestTxn && HasPut(op.RequestTxn)));
}
