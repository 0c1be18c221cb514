using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Checker;

/// <summary>One broken lease promise, with the read that shows it.</summary>
public sealed record LeaseViolation(string Key, string Kind, Operation Read, string Message);

public sealed record LeaseResult(Validity Validity, int Keys, IReadOnlyList<LeaseViolation> Violations);

/// <summary>
/// The lease workload's promises, per key (Workloads/LeaseWorkload.cs), read from linearizable reads:
/// <list type="bullet">
/// <item>kept alive: a lease granted or renewed by a request sent at time t with TTL s lives at least
/// until t + s (the leader sets its expiry when it handles the request, after t). A read of a key put
/// on it (the put acknowledged before the read began) that ends before that time, with no revoke sent
/// before it ended, must find the key.</item>
/// <item>revoked: a read that begins after a revoke was acknowledged must not find the key.</item>
/// <item>expired: a read that begins more than <see cref="ExpiryGrace"/> plus twice the TTL after the
/// last grant, put or renewal of any outcome ended must not find the key. (Leader changes may extend a
/// lease by an election timeout and more: the bound is loose on purpose, it catches leases that never expire.)</item>
/// </list>
/// </summary>
public static class LeaseChecker
{
    public static readonly TimeSpan Margin = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan ExpiryGrace = TimeSpan.FromSeconds(5);

    private const long NanosPerSecond = 1_000_000_000;

    public static LeaseResult Check(IReadOnlyList<Operation> operations)
    {
        var violations = new List<LeaseViolation>();
        var byKey = operations.Where(o => o.Process >= 0).GroupBy(o => o.Key).ToList();
        foreach (var ops in byKey)
        {
            violations.AddRange(CheckKey(ops.Key, [.. ops.OrderBy(o => o.CallTime)]));
        }

        return new LeaseResult(violations.Count == 0 ? Validity.Valid : Validity.Invalid, byKey.Count, violations);
    }

    private static IEnumerable<LeaseViolation> CheckKey(string key, List<Operation> ops)
    {
        var grant = ops.FirstOrDefault(o => o.F == "grant" && o.Type == OpType.Ok);
        if (grant is null)
        {
            yield break;
        }

        var ttl = grant.Value!.AsArray()[1]!.GetValue<long>();
        var put = ops.FirstOrDefault(o => o.F == "put" && o.Type != OpType.Fail);
        var reads = ops.Where(o => o.F == "read" && o.Type == OpType.Ok).ToList();
        if (put is null)
        {
            foreach (var r in reads.Where(r => r.Value!.GetValue<bool>()))
            {
                yield return new LeaseViolation(key, "never put", r, $"{r.Describe()} found {key}, which was never written");
            }

            yield break;
        }

        // Alive-until times, each known from the moment its request was acknowledged.
        var guarantees = ops.Where(o => o.Type == OpType.Ok && (o.F == "grant" || (o.F == "keepalive" && o.Value!.GetValue<long>() > 0)))
            .Select(o => (Known: o.ReturnTime, Until: o.CallTime + (o.F == "grant" ? ttl : o.Value!.GetValue<long>()) * NanosPerSecond))
            .ToList();
        var revokes = ops.Where(o => o.F == "revoke" && o.Type != OpType.Fail).ToList();
        var last = ops.Where(o => o.F is "grant" or "put" or "keepalive" && o.Type != OpType.Fail).Max(o => o.ReturnTime);
        foreach (var r in reads)
        {
            var present = r.Value!.GetValue<bool>();
            if (!present && put.Type == OpType.Ok && r.CallTime >= put.ReturnTime && !revokes.Any(v => v.CallTime < r.ReturnTime))
            {
                var until = guarantees.Where(g => g.Known <= r.CallTime).Select(g => g.Until).DefaultIfEmpty(0).Max();
                if (r.ReturnTime < until - Margin.Ticks * 100)
                {
                    yield return new LeaseViolation(key, "kept alive", r, $"{r.Describe()} did not find {key}, but its lease was renewed to live {(until - r.ReturnTime) / 1e6:0} ms longer");
                }
            }

            if (present && revokes.FirstOrDefault(v => v.Type == OpType.Ok && v.ReturnTime < r.CallTime) is { } revoked)
            {
                yield return new LeaseViolation(key, "revoked", r, $"{r.Describe()} found {key} {(r.CallTime - revoked.ReturnTime) / 1e6:0} ms after its lease's revoke was acknowledged");
            }

            var expiry = last == Operation.Infinity ? long.MaxValue : last + (2 * ttl * NanosPerSecond) + ExpiryGrace.Ticks * 100;
            if (present && r.CallTime > expiry)
            {
                yield return new LeaseViolation(key, "expired", r, $"{r.Describe()} found {key} {(r.CallTime - last) / 1e9:0.0} s after its last renewal (TTL {ttl} s)");
            }
        }
    }
}
