namespace KvCluster.Kv.Mvcc;

// The engine's requests and responses mirror etcd's etcdserverpb messages field for field, so the
// gRPC layer converts without interpretation. Responses carry the store revision of their header.

public enum SortOrder { None = 0, Ascend = 1, Descend = 2 }

public enum SortTarget { Key = 0, Version = 1, Create = 2, Mod = 3, Value = 4 }

public sealed record RangeRequest(byte[] Key, byte[]? RangeEnd = null)
{
    public long Limit { get; init; }
    public long Revision { get; init; }
    public SortOrder SortOrder { get; init; }
    public SortTarget SortTarget { get; init; }
    public bool Serializable { get; init; }
    public bool KeysOnly { get; init; }
    public bool CountOnly { get; init; }
    public long MinModRevision { get; init; }
    public long MaxModRevision { get; init; }
    public long MinCreateRevision { get; init; }
    public long MaxCreateRevision { get; init; }
}

public sealed record RangeResponse(long Revision, IReadOnlyList<KeyValue> Kvs, bool More, long Count);

public sealed record PutRequest(byte[] Key, byte[] Value)
{
    public long Lease { get; init; }
    public bool PrevKv { get; init; }
    public bool IgnoreValue { get; init; }
    public bool IgnoreLease { get; init; }
}

public sealed record PutResponse(long Revision, KeyValue? PrevKv);

public sealed record DeleteRangeRequest(byte[] Key, byte[]? RangeEnd = null)
{
    public bool PrevKv { get; init; }
}

public sealed record DeleteRangeResponse(long Revision, long Deleted, IReadOnlyList<KeyValue> PrevKvs);

public enum CompareResult { Equal = 0, Greater = 1, Less = 2, NotEqual = 3 }

public enum CompareTarget { Version = 0, Create = 1, Mod = 2, Value = 3, Lease = 4 }

/// <summary>One txn guard. Only the field named by <see cref="Target"/> is compared.</summary>
public sealed record Compare(CompareResult Result, CompareTarget Target, byte[] Key, byte[]? RangeEnd = null)
{
    public long Version { get; init; }
    public long CreateRevision { get; init; }
    public long ModRevision { get; init; }
    public byte[] Value { get; init; } = [];
    public long Lease { get; init; }
}

/// <summary>One op of a txn: exactly one of the four is set.</summary>
public sealed record RequestOp
{
    public RangeRequest? Range { get; init; }
    public PutRequest? Put { get; init; }
    public DeleteRangeRequest? DeleteRange { get; init; }
    public TxnRequest? Txn { get; init; }

    public static RequestOp Of(RangeRequest r) => new() { Range = r };
    public static RequestOp Of(PutRequest r) => new() { Put = r };
    public static RequestOp Of(DeleteRangeRequest r) => new() { DeleteRange = r };
    public static RequestOp Of(TxnRequest r) => new() { Txn = r };
}

public sealed record ResponseOp
{
    public RangeResponse? Range { get; init; }
    public PutResponse? Put { get; init; }
    public DeleteRangeResponse? DeleteRange { get; init; }
    public TxnResponse? Txn { get; init; }
}

public sealed record TxnRequest(IReadOnlyList<Compare> Compare, IReadOnlyList<RequestOp> Success, IReadOnlyList<RequestOp> Failure);

public sealed record TxnResponse(long Revision, bool Succeeded, IReadOnlyList<ResponseOp> Responses);

public sealed record CompactResponse(long Revision);

public sealed record HashKvResponse(long Revision, uint Hash, long CompactRevision);

/// <summary>The outcome of one request of a batch: a response, or the error that request alone failed with.</summary>
public sealed record ApplyResult(ResponseOp? Response, KvException? Error);
