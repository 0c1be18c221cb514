namespace KvCluster.KvServer.Auth;

// Roles and their key permissions.
public sealed partial class AuthStore
{
    /// <summary>Adds a role without permissions.</summary>
    public void RoleAdd(string name)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw AuthException.RoleEmpty();
        }

        Mutate(s =>
        {
            if (s.Roles.ContainsKey(name))
            {
                throw AuthException.RoleAlreadyExist();
            }

            s.Roles[name] = [];
            return true;
        });
    }

    /// <summary>Deletes a role and revokes it from every user. Role "root" cannot be deleted while auth is on.</summary>
    public void RoleDelete(string name) => Mutate(s =>
    {
        if (s.Enabled && name == Root)
        {
            throw AuthException.InvalidAuthMgmt();
        }

        if (!s.Roles.Remove(name))
        {
            throw AuthException.RoleNotFound();
        }

        foreach (var user in s.Users.Values)
        {
            user.Roles.Remove(name);
        }

        return true;
    });

    /// <summary>A role's permissions sorted by key, as etcd returns them (copies: callers cannot alter the store).</summary>
    public RoleInfo RoleGet(string name)
    {
        if (!_current.State.Roles.TryGetValue(name, out var perms))
        {
            throw AuthException.RoleNotFound();
        }

        return new RoleInfo(name, [.. perms.Select(p => new Permission(p.Type, [.. p.Key], [.. p.RangeEnd]))]);
    }

    /// <summary>All role names in etcd's order (bytewise UTF-8).</summary>
    public IReadOnlyList<string> RoleList() => [.. _current.State.Roles.Keys.Order(Utf8Order.Instance)];

    /// <summary>
    /// Grants a permission to a role. A permission on the same (key, range_end) is replaced (its type
    /// updated), as etcd keeps one per interval; the list stays sorted by key. An empty key, or a
    /// range_end at or before the key (other than the open-ended {0}), is InvalidAuthMgmt as in etcd.
    /// </summary>
    public void RoleGrantPermission(string role, Permission permission)
    {
        if (permission is null)
        {
            throw AuthException.PermissionNotGiven();
        }

        if (!IsValidRange(permission.Key, permission.RangeEnd))
        {
            throw AuthException.InvalidAuthMgmt();
        }

        var record = new PermissionRecord { Type = permission.Type, Key = [.. permission.Key], RangeEnd = [.. permission.RangeEnd] };
        Mutate(s =>
        {
            if (!s.Roles.TryGetValue(role, out var perms))
            {
                throw AuthException.RoleNotFound();
            }

            var existing = perms.FindIndex(p => p.Key.AsSpan().SequenceEqual(record.Key) && p.RangeEnd.AsSpan().SequenceEqual(record.RangeEnd));
            if (existing >= 0)
            {
                perms[existing].Type = record.Type;
            }
            else
            {
                perms.Add(record);
                perms.Sort(static (a, b) =>
                {
                    var byKey = KeyIntervals.Comparer.Compare(a.Key, b.Key);
                    return byKey != 0 ? byKey : KeyIntervals.Comparer.Compare(a.RangeEnd, b.RangeEnd);
                });
            }

            return true;
        });
    }

    /// <summary>Revokes the permission on exactly (key, range_end) from a role.</summary>
    public void RoleRevokePermission(string role, byte[] key, byte[] rangeEnd) => Mutate(s =>
    {
        if (!s.Roles.TryGetValue(role, out var perms))
        {
            throw AuthException.RoleNotFound();
        }

        if (perms.RemoveAll(p => p.Key.AsSpan().SequenceEqual(key) && p.RangeEnd.AsSpan().SequenceEqual(rangeEnd)) == 0)
        {
            throw AuthException.PermissionNotGranted();
        }

        return true;
    });
}
