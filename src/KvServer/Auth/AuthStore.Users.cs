namespace KvCluster.KvServer.Auth;

// Users: add, delete, change password, grant and revoke roles, get and list.
public sealed partial class AuthStore
{
    /// <summary>Adds a user; with <paramref name="noPassword"/> it can only be used through other means than Authenticate (etcd's --no-password).</summary>
    public void UserAdd(string name, string password, bool noPassword)
    {
        if (string.IsNullOrEmpty(name))
        {
            throw AuthException.UserEmpty();
        }

        // Hash before taking the lock: it is the slow part.
        var secret = noPassword ? default : Hash(password);
        Mutate(s =>
        {
            if (s.Users.ContainsKey(name))
            {
                throw AuthException.UserAlreadyExist();
            }

            s.Users[name] = new UserRecord { NoPassword = noPassword, Salt = secret.Salt, Hash = secret.Hash, Iterations = Pbkdf2Iterations };
            return true;
        });
    }

    /// <summary>Deletes a user and its tokens. User "root" cannot be deleted while auth is on.</summary>
    public void UserDelete(string name) => Mutate(s =>
    {
        if (s.Enabled && name == Root)
        {
            throw AuthException.InvalidAuthMgmt();
        }

        if (!s.Users.Remove(name))
        {
            throw AuthException.UserNotFound();
        }

        return true;
    }, afterCommit: () => DropTokensOf(name));

    /// <summary>
    /// Sets a user's password and ends its sessions (tokens issued under the old password must not
    /// outlive it). A password-less user stays password-less, as in etcd.
    /// </summary>
    public void UserChangePassword(string name, string password)
    {
        var secret = Hash(password);
        Mutate(s =>
        {
            var user = UserOrThrow(s, name);
            if (!user.NoPassword)
            {
                user.Salt = secret.Salt;
                user.Hash = secret.Hash;
                user.Iterations = Pbkdf2Iterations;
            }

            return true;
        }, afterCommit: () => DropTokensOf(name));
    }

    /// <summary>
    /// Grants a role to a user. Role "root" may be granted before it exists (etcd allows it, and
    /// bootstrapping relies on it); other roles must exist. Granting a held role changes nothing.
    /// </summary>
    public void UserGrantRole(string user, string role) => Mutate(s =>
    {
        var u = UserOrThrow(s, user);
        if (role != Root && !s.Roles.ContainsKey(role))
        {
            throw AuthException.RoleNotFound();
        }

        var at = u.Roles.BinarySearch(role, Utf8Order.Instance);
        if (at >= 0)
        {
            return false;
        }

        u.Roles.Insert(~at, role);
        return true;
    });

    /// <summary>Revokes a role from a user. Revoking "root" from "root" while auth is on is refused: nobody could administer.</summary>
    public void UserRevokeRole(string user, string role) => Mutate(s =>
    {
        if (s.Enabled && user == Root && role == Root)
        {
            throw AuthException.InvalidAuthMgmt();
        }

        if (!UserOrThrow(s, user).Roles.Remove(role))
        {
            throw AuthException.RoleNotGranted();
        }

        return true;
    });

    /// <summary>A user's roles (sorted) and whether it is password-less.</summary>
    public UserInfo UserGet(string name)
    {
        var user = UserOrThrow(_current.State, name);
        return new UserInfo(name, [.. user.Roles], user.NoPassword);
    }

    /// <summary>All user names in etcd's order (bytewise UTF-8, as its backend keeps them).</summary>
    public IReadOnlyList<string> UserList() => [.. _current.State.Users.Keys.Order(Utf8Order.Instance)];
}
