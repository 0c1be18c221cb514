namespace KvCluster.Kv.Lease;

public sealed record LeaseGrant(long Id, long Ttl, long Revision);

/// <summary>etcd's LeaseTimeToLiveResponse: remaining TTL in whole seconds, granted TTL, attached keys.</summary>
public sealed record LeaseStatus(long Id, long Ttl, long GrantedTtl, IReadOnlyList<byte[]> Keys);

/// <summary>
/// Tracks leases, their expiry and their attached keys. It decides nothing durable on its own: the
/// store grants and revokes through its write path, and asks <see cref="Expired"/> which leases to revoke.
/// Only a primary lessor (the Raft leader; a standalone store) expires and renews leases; a demoted
/// one keeps every lease alive forever until promoted, as etcd does.
/// </summary>
public sealed class Lessor(TimeProvider time, long minTtl)
{
    /// <summary>etcd's MaxLeaseTTL: 9,000,000,000 seconds.</summary>
    public const long MaxTtl = 9_000_000_000;

    private readonly object _lock = new();
    private readonly Dictionary<long, LeaseEntry> _leases = [];
    private bool _primary = true;

    public long MinTtl { get; } = minTtl;

    public bool IsPrimary
    {
        get
        {
            lock (_lock) { return _primary; }
        }
    }

    /// <summary>The TTL a grant actually gets: at least the minimum, as etcd does.</summary>
    public long EffectiveTtl(long ttl) => Math.Max(ttl, MinTtl);

    public bool Exists(long id)
    {
        lock (_lock) { return _leases.ContainsKey(id); }
    }

    internal void Grant(long id, long ttl)
    {
        lock (_lock)
        {
            _leases[id] = new LeaseEntry(ttl) { Expiry = _primary ? time.GetUtcNow().AddSeconds(ttl) : DateTimeOffset.MaxValue };
        }
    }

    /// <summary>Removes a lease and returns the keys that were attached to it.</summary>
    internal List<byte[]> Remove(long id)
    {
        lock (_lock)
        {
            if (!_leases.Remove(id, out var l))
            {
                return [];
            }

            return [.. l.Keys];
        }
    }

    internal List<byte[]> KeysOf(long id)
    {
        lock (_lock)
        {
            return _leases.TryGetValue(id, out var l) ? [.. l.Keys] : [];
        }
    }

    internal void Attach(long id, byte[] key)
    {
        lock (_lock)
        {
            if (_leases.TryGetValue(id, out var l))
            {
                l.Keys.Add(key);
            }
        }
    }

    internal void Detach(long id, byte[] key)
    {
        lock (_lock)
        {
            if (_leases.TryGetValue(id, out var l))
            {
                l.Keys.Remove(key);
            }
        }
    }

    public long Renew(long id)
    {
        lock (_lock)
        {
            if (!_primary)
            {
                throw KvException.NotPrimary();
            }

            if (!_leases.TryGetValue(id, out var l) || l.Expiry <= time.GetUtcNow())
            {
                throw KvException.LeaseNotFound();
            }

            l.Expiry = time.GetUtcNow().AddSeconds(l.Ttl);
            return l.Ttl;
        }
    }

    public LeaseStatus TimeToLive(long id, bool keys)
    {
        lock (_lock)
        {
            if (!_leases.TryGetValue(id, out var l))
            {
                throw KvException.LeaseNotFound();
            }

            long remaining = l.Expiry == DateTimeOffset.MaxValue ? l.Ttl : (long)Math.Max(0, (l.Expiry - time.GetUtcNow()).TotalSeconds);
            return new LeaseStatus(id, remaining, l.Ttl, keys ? [.. l.Keys] : []);
        }
    }

    public IReadOnlyList<long> Ids()
    {
        lock (_lock) { return [.. _leases.Keys]; }
    }

    /// <summary>The leases whose time has run out; empty unless primary.</summary>
    public IReadOnlyList<long> Expired()
    {
        var now = time.GetUtcNow();
        lock (_lock)
        {
            return _primary ? [.. _leases.Where(kv => kv.Value.Expiry <= now).Select(kv => kv.Key)] : [];
        }
    }

    /// <summary>Becomes primary: every lease gets its full TTL plus <paramref name="extend"/> (etcd's election grace).</summary>
    public void Promote(TimeSpan extend)
    {
        lock (_lock)
        {
            _primary = true;
            var now = time.GetUtcNow();
            foreach (var l in _leases.Values)
            {
                l.Expiry = now.AddSeconds(l.Ttl) + extend;
            }
        }
    }

    /// <summary>Stops expiring and renewing: leases live until a primary decides.</summary>
    public void Demote()
    {
        lock (_lock)
        {
            _primary = false;
            foreach (var l in _leases.Values)
            {
                l.Expiry = DateTimeOffset.MaxValue;
            }
        }
    }

    /// <summary>(id, granted TTL) of every lease, for checkpoints and snapshots.</summary>
    internal List<(long Id, long Ttl)> Export()
    {
        lock (_lock)
        {
            return [.. _leases.Select(kv => (kv.Key, kv.Value.Ttl))];
        }
    }

    private sealed class LeaseEntry(long ttl)
    {
        public long Ttl { get; } = ttl;
        public DateTimeOffset Expiry { get; set; }
        public HashSet<byte[]> Keys { get; } = new(ByteArrayComparer.Instance);
    }
}
