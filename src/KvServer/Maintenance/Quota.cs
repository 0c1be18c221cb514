using KvCluster.Kv;
using KvCluster.KvServer.Hosting;
using Microsoft.Extensions.Logging;

namespace KvCluster.KvServer.Maintenance;

/// <summary>The alarm kinds of etcd's AlarmType.</summary>
public enum AlarmKind
{
    None = 0,
    NoSpace = 1,
    Corrupt = 2,
}

/// <summary>
/// etcd's backend quota and alarms. A write that would take the store past --quota-backend-bytes
/// raises the NOSPACE alarm; while any alarm is active, writes that can grow the store (put, txn
/// with puts, lease grant) fail with "database space exceeded", and reads, deletes and compaction
/// still work, so an operator can compact, defragment and disarm.
/// </summary>
public sealed class Quota(IStoreMaintenance store, long quotaBytes, ulong memberId, ILogger logger)
{
    // etcd charges each request its size plus an overhead for the backend's bookkeeping.
    private const long CostOverhead = 256;

    private readonly object _lock = new();
    private readonly HashSet<AlarmKind> _alarms = [];
    private long _sizeCache = -1;
    private long _sizeAt;

    public long QuotaBytes { get; } = quotaBytes;

    public ulong MemberId { get; } = memberId;

    /// <summary>Throws NoSpace when an alarm is active, or raises NOSPACE when this write would exceed the quota.</summary>
    public void CheckWrite(long requestBytes)
    {
        lock (_lock)
        {
            if (_alarms.Count > 0)
            {
                throw Rpc.RpcErrors.NoSpace();
            }
        }

        long size = DbSize();
        if (size + requestBytes + CostOverhead > QuotaBytes)
        {
            Activate(AlarmKind.NoSpace);
            KvServerLog.AlarmRaised(logger, "NOSPACE", size, QuotaBytes);
            throw Rpc.RpcErrors.NoSpace();
        }
    }

    public IReadOnlyList<AlarmKind> Active()
    {
        lock (_lock)
        {
            return [.. _alarms.Order()];
        }
    }

    public void Activate(AlarmKind kind)
    {
        lock (_lock)
        {
            _alarms.Add(kind);
        }
    }

    /// <summary>Disarms an alarm; returns whether it was active.</summary>
    public bool Deactivate(AlarmKind kind)
    {
        lock (_lock)
        {
            _sizeCache = -1;
            return _alarms.Remove(kind);
        }
    }

    /// <summary>The store's size on disk, re-measured at most every 500 ms (listing the files costs).</summary>
    public long DbSize()
    {
        long now = Environment.TickCount64;
        lock (_lock)
        {
            if (_sizeCache >= 0 && now - _sizeAt < 500)
            {
                return _sizeCache;
            }
        }

        long size = store.DiskBytes;
        lock (_lock)
        {
            _sizeCache = size;
            _sizeAt = now;
        }

        return size;
    }
}
