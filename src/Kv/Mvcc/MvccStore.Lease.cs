using KvCluster.Kv.Lease;

namespace KvCluster.Kv.Mvcc;

public sealed partial class MvccStore
{
    public ValueTask<LeaseGrant> LeaseGrantAsync(long id, long ttl, long appliedIndex = 0, CancellationToken ct = default)
    {
        if (ttl > Lessor.MaxTtl)
        {
            throw KvException.LeaseTtlTooLarge();
        }

        ttl = _lessor.EffectiveTtl(ttl);
        return WriteAsync(appliedIndex, b =>
        {
            long leaseId = id;
            if (leaseId == 0)
            {
                do
                {
                    leaseId = Random.Shared.NextInt64(1, long.MaxValue);
                }
                while (_lessor.Exists(leaseId));
            }
            else if (_lessor.Exists(leaseId))
            {
                throw KvException.LeaseExists();
            }

            _lessor.Grant(leaseId, ttl);
            b.GrantedLease = (leaseId, ttl);
            return new LeaseGrant(leaseId, ttl, b.HeaderRevision);
        });
    }

    /// <summary>Revokes a lease and deletes its keys in one revision; returns the response revision.</summary>
    public ValueTask<long> LeaseRevokeAsync(long id, long appliedIndex = 0, CancellationToken ct = default) =>
        WriteAsync(appliedIndex, b =>
        {
            if (!_lessor.Exists(id))
            {
                throw KvException.LeaseNotFound();
            }

            var keys = _lessor.KeysOf(id);
            keys.Sort(static (x, y) => x.AsSpan().SequenceCompareTo(y));
            foreach (var key in keys)
            {
                DoDelete(b, new DeleteRangeRequest(key));
            }

            _lessor.Remove(id);
            b.RevokedLease = id;
            return b.HeaderRevision;
        });

    public long LeaseKeepAlive(long id) => _lessor.Renew(id);

    public LeaseStatus LeaseTimeToLive(long id, bool keys) => _lessor.TimeToLive(id, keys);

    public IReadOnlyList<long> Leases() => _lessor.Ids();

    /// <summary>Revokes every expired lease (the primary's job). Returns how many were revoked.</summary>
    public async Task<int> RevokeExpiredLeasesAsync(CancellationToken ct = default)
    {
        int n = 0;
        foreach (var id in _lessor.Expired())
        {
            try
            {
                await LeaseRevokeAsync(id, 0, ct).ConfigureAwait(false);
                KvLog.LeaseExpired(_options.Logger, id);
                KvMetrics.LeasesExpired.Add(1);
                n++;
            }
            catch (KvException e) when (e.Code == KvErrorCode.LeaseNotFound)
            {
                // Revoked meanwhile by a client.
            }
        }

        return n;
    }

    private async Task LeaseExpiryLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.LeaseCheckInterval, _options.Time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            try
            {
                await RevokeExpiredLeasesAsync(ct).ConfigureAwait(false);
            }
            catch (Exception e) when (e is not OperationCanceledException and not ObjectDisposedException)
            {
                KvLog.BackgroundFailed(_options.Logger, "lease expiry", e);
            }
        }
    }

    private async Task ProgressNotifyLoopAsync(CancellationToken ct)
    {
        using var timer = new PeriodicTimer(_options.WatchProgressNotifyInterval, _options.Time);
        while (await timer.WaitForNextTickAsync(ct).ConfigureAwait(false))
        {
            _hub.NotifyProgress();
        }
    }
}
