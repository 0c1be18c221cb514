using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvCluster.KvServer.Auth;

/// <summary>
/// etcd's auth store (v3.5 semantics): users, roles, key permissions, the enabled flag, the auth
/// revision and simple tokens. Clients see the same rules and error messages as against etcd.
/// </summary>
/// <remarks>
/// <para>Durable state lives in &lt;dataDir&gt;/auth.json, rewritten atomically (temp file, fsync,
/// rename) by every change, so a crash leaves either the old or the new state, never a torn file.
/// Tokens are kept in memory only, as etcd's simple tokens are: a restart logs everyone out.</para>
/// <para>Every KV request asks <see cref="Enabled"/>, resolves a token and checks a permission, so
/// those paths take no lock on the state: changes build a new state under a lock and publish it
/// whole; readers use whichever state is current. Each published state carries its own cache of
/// per-user merged permission intervals, so a change invalidates the cache simply by replacing it.</para>
/// </remarks>
public sealed partial class AuthStore
{
    /// <summary>
    /// The name of the user and of the role that may do anything. Auth can only be enabled once user
    /// "root" holds role "root", so enabling can never lock every client out.
    /// </summary>
    public const string Root = "root";

    private const string FileName = "auth.json";

    // PBKDF2-SHA256 iterations. etcd uses bcrypt cost 10 (tens of ms per check). etcdctl authenticates
    // on every invocation and clients re-authenticate whenever a token expires, so the hash is on a
    // latency path; 10k iterations (a few ms) keep a stolen auth.json costly to brute-force without
    // making each etcdctl --user call noticeably slower.
    private const int Pbkdf2Iterations = 10_000;
    private const int SaltBytes = 16;
    private const int HashBytes = 32;

    // etcd's simple token: 16 random letters from this alphabet, ".", a counter.
    private const string TokenLetters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    private const int TokenPrefixLength = 16;

    // etcd's default simple-token TTL, used when none is configured.
    private static readonly TimeSpan DefaultTokenTtl = TimeSpan.FromSeconds(300);

    private readonly object _writeLock = new();
    private readonly object _tokenLock = new();
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly TimeSpan _tokenTtl;
    private readonly Dictionary<string, TokenEntry> _tokens = new(StringComparer.Ordinal);
    private volatile Snapshot _current;
    private long _tokenIndex;
    private DateTimeOffset _nextTokenSweep;

    private AuthStore(string path, TimeProvider time, TimeSpan tokenTtl, State state)
    {
        _path = path;
        _time = time;
        _tokenTtl = tokenTtl > TimeSpan.Zero ? tokenTtl : DefaultTokenTtl;
        _current = new Snapshot(state);
        _nextTokenSweep = time.GetUtcNow() + _tokenTtl;
    }

    /// <summary>
    /// Loads the auth state of a member from &lt;dataDir&gt;/auth.json (a fresh, disabled store when
    /// there is none). A corrupt file is an error rather than an empty store: silently starting with
    /// auth disabled would open every key to every client.
    /// </summary>
    /// <param name="dataDir">The member's data directory; created if missing.</param>
    /// <param name="time">Clock for token expiry (a fake one in tests).</param>
    /// <param name="tokenTtl">How long a token lives without being used; zero or less means etcd's 300 s.</param>
    public static AuthStore Open(string dataDir, TimeProvider time, TimeSpan tokenTtl)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, FileName);
        var state = new State();
        if (File.Exists(path))
        {
            try
            {
                state = JsonSerializer.Deserialize(File.ReadAllBytes(path), StateJson.Default.State)
                    ?? throw new InvalidDataException("empty document");
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"auth state {path} is corrupt: {e.Message}", e);
            }
        }

        return new AuthStore(path, time, tokenTtl, state);
    }

    /// <summary>Whether requests are checked; while false every check passes and tokens are ignored, as in etcd.</summary>
    public bool Enabled => _current.State.Enabled;

    /// <summary>
    /// etcd's auth revision (AuthStatus's auth_revision): bumped by every change of users, roles,
    /// permissions and by disabling, so clients can tell the auth configuration changed.
    /// </summary>
    public long Revision => _current.State.Revision;

    /// <summary>
    /// Turns auth on. Requires user "root" holding role "root" (so someone can still administer);
    /// a no-op when already on. Like etcd, enabling does not bump <see cref="Revision"/>.
    /// </summary>
    public void Enable() => Mutate(s =>
    {
        if (s.Enabled)
        {
            return false;
        }

        if (!s.Users.TryGetValue(Root, out var root))
        {
            throw AuthException.RootUserNotExist();
        }

        if (!root.Roles.Contains(Root))
        {
            throw AuthException.RootRoleNotExist();
        }

        s.Enabled = true;
        return true;
    }, bumpRevision: false);

    /// <summary>Turns auth off and forgets every token (a later enable must not revive old sessions); a no-op when off.</summary>
    public void Disable() => Mutate(s =>
    {
        if (!s.Enabled)
        {
            return false;
        }

        s.Enabled = false;
        return true;
    }, afterCommit: DropAllTokens);

    /// <summary>
    /// Checks a user's password and issues a token ("&lt;16 letters&gt;.&lt;counter&gt;", etcd's simple
    /// token). Unknown users, wrong passwords and password-less users all fail alike, so the answer
    /// does not reveal which names exist.
    /// </summary>
    public string Authenticate(string name, string password)
    {
        while (true)
        {
            var seen = _current.State;
            if (!seen.Enabled)
            {
                throw AuthException.AuthNotEnabled();
            }

            if (!seen.Users.TryGetValue(name, out var user) || user.NoPassword || user.Hash is null || user.Salt is null)
            {
                throw AuthException.AuthFailed();
            }

            // The slow hash runs on a published (immutable) state without holding any lock.
            if (!PasswordMatches(user, password))
            {
                throw AuthException.AuthFailed();
            }

            lock (_writeLock)
            {
                // As etcd, issue the token only if nothing changed meanwhile (password, deletion,
                // disable); otherwise check again against the new state.
                if (ReferenceEquals(_current.State, seen))
                {
                    return IssueToken(name);
                }
            }
        }
    }

    /// <summary>
    /// The user a token belongs to; using a token extends its life by the TTL, as etcd's do.
    /// No token (null or empty) and auth off both give null: the caller is anonymous and the
    /// permission check decides. An unknown or expired token throws InvalidAuthToken.
    /// </summary>
    /// <param name="token">The "token" metadata value; a "Bearer " prefix (HTTP gateway style) is ignored.</param>
    public string? UserOf(string? token)
    {
        if (string.IsNullOrEmpty(token) || !Enabled)
        {
            return null;
        }

        if (token.StartsWith("Bearer ", StringComparison.Ordinal))
        {
            token = token["Bearer ".Length..];
        }

        var now = _time.GetUtcNow();
        lock (_tokenLock)
        {
            if (!_tokens.TryGetValue(token, out var entry))
            {
                throw AuthException.InvalidAuthToken();
            }

            if (entry.Expiry <= now)
            {
                _tokens.Remove(token);
                throw AuthException.InvalidAuthToken();
            }

            _tokens[token] = entry with { Expiry = now + _tokenTtl };
            return entry.User;
        }
    }

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

    private static (byte[]? Salt, byte[]? Hash) Hash(string password)
    {
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        return (salt, Derive(password, salt, Pbkdf2Iterations));
    }

    private static bool PasswordMatches(UserRecord user, string password) =>
        CryptographicOperations.FixedTimeEquals(
            Derive(password, user.Salt!, user.Iterations > 0 ? user.Iterations : Pbkdf2Iterations),
            user.Hash);

    private static byte[] Derive(string password, byte[] salt, int iterations) =>
        Rfc2898DeriveBytes.Pbkdf2(password, salt, iterations, HashAlgorithmName.SHA256, HashBytes);

    // Caller holds _writeLock, so no token is issued for a state that is being replaced.
    private string IssueToken(string user)
    {
        var now = _time.GetUtcNow();
        var token = RandomNumberGenerator.GetString(TokenLetters, TokenPrefixLength) + "." + Interlocked.Increment(ref _tokenIndex);
        lock (_tokenLock)
        {
            // etcd sweeps expired tokens every second; sweeping once per TTL on issue bounds the map just as well.
            if (now >= _nextTokenSweep)
            {
                foreach (var stale in _tokens.Where(t => t.Value.Expiry <= now).Select(t => t.Key).ToList())
                {
                    _tokens.Remove(stale);
                }

                _nextTokenSweep = now + _tokenTtl;
            }

            _tokens[token] = new TokenEntry(user, now + _tokenTtl);
        }

        return token;
    }

    private void DropAllTokens()
    {
        lock (_tokenLock)
        {
            _tokens.Clear();
        }
    }

    private void DropTokensOf(string user)
    {
        lock (_tokenLock)
        {
            foreach (var token in _tokens.Where(t => t.Value.User == user).Select(t => t.Key).ToList())
            {
                _tokens.Remove(token);
            }
        }
    }

    /// <summary>
    /// Applies a change to a private copy of the state; when it reports a change, persists the copy
    /// and publishes it. A change that throws, or a failed write, leaves the published state as it was.
    /// </summary>
    private void Mutate(Func<State, bool> change, bool bumpRevision = true, Action? afterCommit = null)
    {
        lock (_writeLock)
        {
            var current = _current.State;
            var next = JsonSerializer.Deserialize(JsonSerializer.SerializeToUtf8Bytes(current, StateJson.Default.State), StateJson.Default.State)!;
            if (!change(next))
            {
                return;
            }

            if (bumpRevision)
            {
                next.Revision = current.Revision + 1;
            }

            Persist(next);
            _current = new Snapshot(next);
            afterCommit?.Invoke();
        }
    }

    // Temp file, flushed to disk, renamed over the old one: a crash leaves one whole version or the other.
    private void Persist(State state)
    {
        var tmp = _path + ".tmp";
        using (var file = new FileStream(tmp, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(file, state, StateJson.Default.State);
            file.Flush(flushToDisk: true);
        }

        File.Move(tmp, _path, overwrite: true);
    }

    // A published state and the merged permissions computed from it; replaced whole on every change.
    private sealed class Snapshot(State state)
    {
        public State State { get; } = state;

        public ConcurrentDictionary<string, UserPermissions> Permissions { get; } = new(StringComparer.Ordinal);
    }

    private sealed record UserPermissions(bool IsRoot, KeyIntervals Read, KeyIntervals Write);

    private readonly record struct TokenEntry(string User, DateTimeOffset Expiry);

    // Orders names as etcd's backend does: by their UTF-8 bytes (ordinal UTF-16 differs above U+D7FF).
    private sealed class Utf8Order : IComparer<string>
    {
        public static readonly Utf8Order Instance = new();

        public int Compare(string? x, string? y) =>
            Encoding.UTF8.GetBytes(x ?? "").AsSpan().SequenceCompareTo(Encoding.UTF8.GetBytes(y ?? ""));
    }

    // The persisted document. Published instances are never modified: Mutate changes a deep copy.
    private sealed class State
    {
        public bool Enabled { get; set; }

        public long Revision { get; set; }

        public Dictionary<string, UserRecord> Users { get; set; } = new(StringComparer.Ordinal);

        public Dictionary<string, List<PermissionRecord>> Roles { get; set; } = new(StringComparer.Ordinal);
    }

    private sealed class UserRecord
    {
        public List<string> Roles { get; set; } = [];

        public bool NoPassword { get; set; }

        public byte[]? Salt { get; set; }

        public byte[]? Hash { get; set; }

        public int Iterations { get; set; }
    }

    private sealed class PermissionRecord
    {
        public PermissionType Type { get; set; }

        public byte[] Key { get; set; } = [];

        public byte[] RangeEnd { get; set; } = [];
    }

    [JsonSourceGenerationOptions(WriteIndented = true, UseStringEnumConverter = true)]
    [JsonSerializable(typeof(State))]
    private sealed partial class StateJson : JsonSerializerContext
    {
    }
}
