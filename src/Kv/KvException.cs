namespace KvCluster.Kv;

/// <summary>Which etcd error a <see cref="KvException"/> is; the gRPC edge maps each to a status code.</summary>
public enum KvErrorCode
{
    Compacted,
    FutureRevision,
    KeyNotFound,
    ValueProvided,
    LeaseProvided,
    TooManyOps,
    DuplicateKey,
    EmptyKey,
    LeaseNotFound,
    LeaseExists,
    LeaseTtlTooLarge,
    NotPrimary,
    Corrupt,
}

/// <summary>
/// A domain error of the engine. <see cref="Message"/> is etcd's exact client-visible text, because
/// etcd clients match errors by message (clientv3's rpctypes).
/// </summary>
public sealed class KvException(KvErrorCode code, string message) : Exception(message)
{
    public KvErrorCode Code { get; } = code;

    public static KvException Compacted() => new(KvErrorCode.Compacted, "etcdserver: mvcc: required revision has been compacted");
    public static KvException FutureRevision() => new(KvErrorCode.FutureRevision, "etcdserver: mvcc: required revision is a future revision");
    public static KvException KeyNotFound() => new(KvErrorCode.KeyNotFound, "etcdserver: key not found");
    public static KvException ValueProvided() => new(KvErrorCode.ValueProvided, "etcdserver: value is provided");
    public static KvException LeaseProvided() => new(KvErrorCode.LeaseProvided, "etcdserver: lease is provided");
    public static KvException TooManyOps() => new(KvErrorCode.TooManyOps, "etcdserver: too many operations in txn request");
    public static KvException DuplicateKey() => new(KvErrorCode.DuplicateKey, "etcdserver: duplicate key given in txn request");
    public static KvException EmptyKey() => new(KvErrorCode.EmptyKey, "etcdserver: key is not provided");
    public static KvException LeaseNotFound() => new(KvErrorCode.LeaseNotFound, "etcdserver: requested lease not found");
    public static KvException LeaseExists() => new(KvErrorCode.LeaseExists, "etcdserver: lease already exists");
    public static KvException LeaseTtlTooLarge() => new(KvErrorCode.LeaseTtlTooLarge, "etcdserver: too large lease TTL");
    public static KvException NotPrimary() => new(KvErrorCode.NotPrimary, "etcdserver: not primary");
    public static KvException Corrupt(string detail) => new(KvErrorCode.Corrupt, "etcdserver: corrupt cluster: " + detail);
}
