namespace KvCluster.Kv.Mvcc;

/// <summary>etcd's mvccpb.KeyValue: a key's value as of one revision.</summary>
public sealed record KeyValue(byte[] Key, byte[] Value, long CreateRevision, long ModRevision, long Version, long Lease)
{
    public override string ToString() =>
        $"{System.Text.Encoding.UTF8.GetString(Key)}={System.Text.Encoding.UTF8.GetString(Value)} (create {CreateRevision}, mod {ModRevision}, ver {Version}, lease {Lease})";
}

public enum EventType
{
    Put = 0,
    Delete = 1,
}

/// <summary>etcd's mvccpb.Event. For a delete, <see cref="Kv"/> holds the key and the delete's mod revision only.</summary>
public sealed record Event(EventType Type, KeyValue Kv, KeyValue? PrevKv = null);
