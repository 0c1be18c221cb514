namespace KvCluster.KvServer.Auth;

// Permission checks, the hot path of every KV, Watch and Lease call.
public sealed partial class AuthStore
{
    /// <summary>Range / Watch: the user needs read permission over the key or the whole [key, rangeEnd).</summary>
    public void CheckRange(string? user, byte[] key, byte[] rangeEnd) => CheckKeys(user, key, rangeEnd, write: false);

    /// <summary>Put: the user needs write permission on the key.</summary>
    public void CheckPut(string? user, byte[] key) => CheckKeys(user, key, [], write: true);

    /// <summary>DeleteRange: the user needs write permission over the key or the whole [key, rangeEnd).</summary>
    public void CheckDeleteRange(string? user, byte[] key, byte[] rangeEnd) => CheckKeys(user, key, rangeEnd, write: true);

    /// <summary>
    /// Management calls (users, roles, auth disable, maintenance) need role "root" once auth is on.
    /// As etcd's IsAdminPermitted: no user = UserEmpty, unknown user = UserNotFound, else PermissionDenied.
    /// </summary>
    public void CheckAdmin(string? user)
    {
        var snapshot = _current;
        if (!snapshot.State.Enabled)
        {
            return;
        }

        var perms = PermissionsOf(snapshot, user) ?? throw AuthException.UserNotFound();
        if (!perms.IsRoot)
        {
            throw AuthException.PermissionDenied();
        }
    }

    private void CheckKeys(string? user, byte[] key, byte[] rangeEnd, bool write)
    {
        var snapshot = _current;
        if (!snapshot.State.Enabled)
        {
            return;
        }

        // etcd logs an unknown user (e.g. deleted while holding a token) and denies.
        var perms = PermissionsOf(snapshot, user) ?? throw AuthException.PermissionDenied();
        if (perms.IsRoot)
        {
            return;
        }

        var (start, end) = KeyIntervals.Of(key, rangeEnd);
        if (!(write ? perms.Write : perms.Read).Covers(start, end))
        {
            throw AuthException.PermissionDenied();
        }
    }

    // The user's merged permissions in this snapshot (null for an unknown user), computed once per snapshot.
    private static UserPermissions? PermissionsOf(Snapshot snapshot, string? user)
    {
        if (string.IsNullOrEmpty(user))
        {
            throw AuthException.UserEmpty();
        }

        if (snapshot.Permissions.TryGetValue(user, out var cached))
        {
            return cached;
        }

        if (!snapshot.State.Users.TryGetValue(user, out var record))
        {
            // Not cached: names of unknown users must not grow the cache.
            return null;
        }

        var granted = record.Roles
            .Select(r => snapshot.State.Roles.GetValueOrDefault(r))
            .OfType<List<PermissionRecord>>()
            .SelectMany(p => p)
            .ToList();
        var merged = new UserPermissions(
            record.Roles.Contains(Root),
            Intervals(granted, PermissionType.Read),
            Intervals(granted, PermissionType.Write));
        return snapshot.Permissions.GetOrAdd(user, merged);
    }

    // READ is satisfied by Read or ReadWrite, WRITE by Write or ReadWrite; any other stored value grants nothing.
    private static KeyIntervals Intervals(List<PermissionRecord> granted, PermissionType needed) =>
        new(granted
            .Where(p => p.Type == needed || p.Type == PermissionType.ReadWrite)
            .Select(p => KeyIntervals.Of(p.Key, p.RangeEnd)));

    // etcd's isValidPermissionRange: a key; and no range_end, or one after the key, or the open-ended {0}.
    private static bool IsValidRange(byte[] key, byte[] rangeEnd) =>
        key.Length > 0 && (rangeEnd.Length == 0 || rangeEnd is [0] || KeyIntervals.Comparer.Compare(key, rangeEnd) < 0);

    private static UserRecord UserOrThrow(State state, string name) =>
        state.Users.TryGetValue(name, out var user) ? user : throw AuthException.UserNotFound();
}
