using Google.Protobuf;
using KvCluster.KvServer.Api;
using M = KvCluster.Kv.Mvcc;
using W = KvCluster.Kv.Watch;

namespace KvCluster.KvServer.Rpc;

/// <summary>
/// Wire messages ↔ engine records. The engine's types mirror etcd's field for field, so this is
/// copying, never interpretation; header revisions come from the engine's responses.
/// </summary>
internal static class ProtoConvert
{
    public static M.RangeRequest ToEngine(this RangeRequest r) => new(Own(r.Key), End(r.RangeEnd))
    {
        Limit = r.Limit,
        Revision = r.Revision,
        SortOrder = (M.SortOrder)r.SortOrder,
        SortTarget = (M.SortTarget)r.SortTarget,
        Serializable = r.Serializable,
        KeysOnly = r.KeysOnly,
        CountOnly = r.CountOnly,
        MinModRevision = r.MinModRevision,
        MaxModRevision = r.MaxModRevision,
        MinCreateRevision = r.MinCreateRevision,
        MaxCreateRevision = r.MaxCreateRevision,
    };

    public static M.PutRequest ToEngine(this PutRequest r) => new(Own(r.Key), Own(r.Value))
    {
        Lease = r.Lease,
        PrevKv = r.PrevKv,
        IgnoreValue = r.IgnoreValue,
        IgnoreLease = r.IgnoreLease,
    };

    public static M.DeleteRangeRequest ToEngine(this DeleteRangeRequest r) => new(Own(r.Key), End(r.RangeEnd)) { PrevKv = r.PrevKv };

    public static M.TxnRequest ToEngine(this TxnRequest r) =>
        new([.. r.Compare.Select(ToEngine)], [.. r.Success.Select(ToEngine)], [.. r.Failure.Select(ToEngine)]);

    public static M.RequestOp ToEngine(this RequestOp op) => op.RequestCase switch
    {
        RequestOp.RequestOneofCase.RequestRange => M.RequestOp.Of(op.RequestRange.ToEngine()),
        RequestOp.RequestOneofCase.RequestPut => M.RequestOp.Of(op.RequestPut.ToEngine()),
        RequestOp.RequestOneofCase.RequestDeleteRange => M.RequestOp.Of(op.RequestDeleteRange.ToEngine()),
        RequestOp.RequestOneofCase.RequestTxn => M.RequestOp.Of(op.RequestTxn.ToEngine()),
        // etcd treats an empty op as a no-op range of the empty key, which fails key validation.
        _ => M.RequestOp.Of(new M.RangeRequest([])),
    };

    public static M.Compare ToEngine(this Compare c) => new((M.CompareResult)c.Result, (M.CompareTarget)c.Target, Own(c.Key), End(c.RangeEnd))
    {
        Version = c.Version,
        CreateRevision = c.CreateRevision,
        ModRevision = c.ModRevision,
        Value = Own(c.Value),
        Lease = c.Lease,
    };

    public static W.WatchRequest ToEngine(this WatchCreateRequest r) => new(Own(r.Key), End(r.RangeEnd))
    {
        StartRevision = r.StartRevision,
        NoPut = r.Filters.Contains(WatchCreateRequest.Types.FilterType.Noput),
        NoDelete = r.Filters.Contains(WatchCreateRequest.Types.FilterType.Nodelete),
        PrevKv = r.PrevKv,
        ProgressNotify = r.ProgressNotify,
    };

    public static RangeResponse ToProto(this M.RangeResponse r, ResponseHeader header)
    {
        var p = new RangeResponse { Header = header, More = r.More, Count = r.Count };
        foreach (var kv in r.Kvs)
        {
            p.Kvs.Add(kv.ToProto());
        }

        return p;
    }

    public static PutResponse ToProto(this M.PutResponse r, ResponseHeader header) =>
        new() { Header = header, PrevKv = r.PrevKv?.ToProto() };

    public static DeleteRangeResponse ToProto(this M.DeleteRangeResponse r, ResponseHeader header)
    {
        var p = new DeleteRangeResponse { Header = header, Deleted = r.Deleted };
        foreach (var kv in r.PrevKvs)
        {
            p.PrevKvs.Add(kv.ToProto());
        }

        return p;
    }

    /// <summary>The top-level txn carries the full header; etcd's nested responses carry only the revision.</summary>
    public static TxnResponse ToProto(this M.TxnResponse r, ResponseHeader header)
    {
        var p = new TxnResponse { Header = header, Succeeded = r.Succeeded };
        foreach (var op in r.Responses)
        {
            p.Responses.Add(op.ToProto(r.Revision));
        }

        return p;
    }

    private static ResponseOp ToProto(this M.ResponseOp op, long revision)
    {
        var header = new ResponseHeader { Revision = revision };
        if (op.Range is not null)
        {
            return new ResponseOp { ResponseRange = op.Range.ToProto(header) };
        }

        if (op.Put is not null)
        {
            return new ResponseOp { ResponsePut = op.Put.ToProto(header) };
        }

        if (op.DeleteRange is not null)
        {
            return new ResponseOp { ResponseDeleteRange = op.DeleteRange.ToProto(header) };
        }

        return new ResponseOp { ResponseTxn = op.Txn!.ToProto(header) };
    }

    public static Api.MvccPb.KeyValue ToProto(this M.KeyValue kv) => new()
    {
        Key = UnsafeByteOperations.UnsafeWrap(kv.Key),
        Value = UnsafeByteOperations.UnsafeWrap(kv.Value),
        CreateRevision = kv.CreateRevision,
        ModRevision = kv.ModRevision,
        Version = kv.Version,
        Lease = kv.Lease,
    };

    public static Api.MvccPb.Event ToProto(this M.Event e) => new()
    {
        Type = (Api.MvccPb.Event.Types.EventType)e.Type,
        Kv = e.Kv.ToProto(),
        PrevKv = e.PrevKv?.ToProto(),
    };

    // An empty range_end means "just the key": the engine spells that null.
    private static byte[]? End(ByteString end) => end.IsEmpty ? null : Own(end);

    /// <summary>
    /// The bytes of a field of a parsed request, without a copy: the parser gives every bytes field an
    /// array of its own, and requests are not touched again once converted. Copies anything else.
    /// </summary>
    private static byte[] Own(ByteString b) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(b.Memory, out var seg) && seg.Offset == 0 && seg.Count == seg.Array!.Length
            ? seg.Array
            : b.ToByteArray();
}
