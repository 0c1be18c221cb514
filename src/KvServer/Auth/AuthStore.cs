using System.Security.Cryptography;
using System.Text.Json;

namespace KvCluster.KvServer.Auth;

/// <summary>
/// etcd's auth store: users, roles, key permissions, the enabled flag and simple tokens.
/// State lives in &lt;member dir&gt;/auth.json, rewritten atomically (temp file, fsync, rename) on
/// every change. Permission checks are the hot path: each user's merged intervals are cached and
/// the cache dropped on any change.
/// </summary>
public sealed class AuthStore
{
    public const string Root = "root";

    // PBKDF2 rounds: etcd uses bcrypt cost 10 (~50 ms); every etcdctl --user call authenticates, so keep it of that order.
    private const int Pbkdf2Rounds = 10_000;

    private readonly object _lock = new();
    private readonly string _path;
    private readonly TimeProvider _time;
    private readonly TimeSpan _tokenTtl;
    private readonly Dictionary<string, (string User, DateTimeOffset Expiry)> _tokens = [];
    private readonly Dictionary<string, (KeyIntervals Read, KeyIntervals Write, bool Root)> _cache = [];
    private State _state;
    private long _tokenIndex;

    private AuthStore(string path, TimeProvider time, TimeSpan tokenTtl, State state)
    {
        _path = path;
        _time = time;
        _tokenTtl = tokenTtl;
        _state = state;
    }

    public static AuthStore Open(string dataDir, TimeProvider time, TimeSpan tokenTtl)
    {
        Directory.CreateDirectory(dataDir);
        var path = Path.Combine(dataDir, "auth.json");
        var state = File.Exists(path) ? JsonSerializer.Deserialize<State>(File.ReadAllBytes(path)) ?? new State() : new State();
        return new AuthStore(path, time, tokenTtl, state);
    }

    public bool Enabled
    {
        get { lock (_lock) { return _state.Enabled; } }
    }

    public long Revision
    {
        get { lock (_lock) { return _state.Revision; } }
    }

    public void Enable() => Mutate(s =>
    {
        if (s.Enabled)
        {
            return;
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
    });

    public void Disable() => Mutate(s =>
    {
        s.Enabled = false;
        _tokens.Clear();
    });

    /// <summary>Checks a password and returns a fresh simple token ("&lt;16 letters&gt;.&lt;index&gt;", as etcd's).</summary>
    public string Authenticate(string name, string password)
    {
        lock (_lock)
        {
            if (!_state.Enabled)
            {
                throw AuthException.AuthNotEnabled();
            }

            if (!_state.Users.TryGetValue(name, out var u) || u.NoPassword || !u.Matches(password))
            {
                throw AuthException.AuthFailed();
            }

            var letters = new char[16];
            for (int i = 0; i < letters.Length; i++)
            {
                letters[i] = (char)('a' + RandomNumberGenerator.GetInt32(26));
            }

            var token = new string(letters) + "." + ++_tokenIndex;
            _tokens[token] = (name, _time.GetUtcNow() + _tokenTtl);
            return token;
        }
    }

    /// <summary>The user a token belongs to (refreshing its lifetime); null without a token or with auth off.</summary>
    public string? UserOf(string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return null;
        }

        lock (_lock)
        {
            if (!_state.Enabled)
            {
                return null;
            }

            var now = _time.GetUtcNow();
            if (!_tokens.TryGetValue(token, out var t) || t.Expiry <= now)
            {
                _tokens.Remove(token);
                throw AuthException.InvalidAuthToken();
            }

            _tokens[token] = (t.User, now + _tokenTtl);
            return t.User;
        }
    }

    public void UserAdd(string name, string password, bool noPassword) => Mutate(s =>
    {
        if (string.IsNullOrEmpty(name))
        {
            throw AuthException.UserEmpty();
        }

        if (s.Users.ContainsKey(name))
        {
            throw AuthException.UserAlreadyExist();
        }

        s.Users[name] = UserRecord.Create(password, noPassword);
    });

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

        DropTokensOf(name);
    });

    public void UserChangePassword(string name, string password) => Mutate(s =>
    {
        var u = UserOrThrow(s, name);
        s.Users[name] = UserRecord.Create(password, u.NoPassword) with { Roles = u.Roles };
        DropTokensOf(name);
    });

    public void UserGrantRole(string user, string role) => Mutate(s =>
    {
        var u = UserOrThrow(s, user);
        if (role != Root && !s.Roles.ContainsKey(role))
        {
            throw AuthException.RoleNotFound();
        }

        if (!u.Roles.Contains(role))
        {
            u.Roles.Add(role);
            u.Roles.Sort(StringComparer.Ordinal);
        }
    });

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
    });

    public UserInfo UserGet(string name)
    {
        lock (_lock)
        {
            var u = UserOrThrow(_state, name);
            return new UserInfo(name, [.. u.Roles], u.NoPassword);
        }
    }

    public IReadOnlyList<string> UserList()
    {
        lock (_lock) { return [.. _state.Users.Keys.Order(StringComparer.Ordinal)]; }
    }

    public void RoleAdd(string name) => Mutate(s =>
    {
        if (string.IsNullOrEmpty(name))
        {
            throw AuthException.RoleEmpty();
        }

        if (!s.Roles.TryAdd(name, []))
        {
            throw AuthException.RoleAlreadyExist();
        }
    });

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

        foreach (var u in s.Users.Values)
        {
            u.Roles.Remove(name);
        }
    });

    public RoleInfo RoleGet(string name)
    {
        lock (_lock)
        {
            if (!_state.Roles.TryGetValue(name, out var perms))
            {
                throw AuthException.RoleNotFound();
            }

            return new RoleInfo(name, [.. perms.Select(p => p.ToPermission())]);
        }
    }

    public IReadOnlyList<string> RoleList()
    {
        lock (_lock) { return [.. _state.Roles.Keys.Order(StringComparer.Ordinal)]; }
    }

    /// <summary>Adds a permission, replacing one on the same [key, range_end) (etcd keeps one per interval, sorted by key).</summary>
    public void RoleGrantPermission(string role, Permission permission) => Mutate(s =>
    {
        if (!s.Roles.TryGetValue(role, out var perms))
        {
            throw AuthException.RoleNotFound();
        }

        var record = PermissionRecord.Of(permission);
        perms.RemoveAll(p => p.SameInterval(record));
        perms.Add(record);
        perms.Sort((a, b) => KeyIntervals.Comparer.Compare(Convert.FromBase64String(a.Key), Convert.FromBase64String(b.Key)));
    });

    public void RoleRevokePermission(string role, byte[] key, byte[] rangeEnd) => Mutate(s =>
    {
        if (!s.Roles.TryGetValue(role, out var perms))
        {
            throw AuthException.RoleNotFound();
        }

        var probe = PermissionRecord.Of(new Permission(PermissionType.Read, key, rangeEnd));
        if (perms.RemoveAll(p => p.SameInterval(probe)) == 0)
        {
            throw AuthException.PermissionNotGranted();
        }
    });

    public void CheckRange(string? user, byte[] key, byte[] rangeEnd) => Check(user, key, rangeEnd, write: false);

    public void CheckPut(string? user, byte[] key) => Check(user, key, [], write: true);

    public void CheckDeleteRange(string? user, byte[] key, byte[] rangeEnd) => Check(user, key, rangeEnd, write: true);

    /// <summary>Management calls need the root role once auth is on.</summary>
    public void CheckAdmin(string? user)
    {
        lock (_lock)
        {
            if (!_state.Enabled)
            {
                return;
            }

            if (!Permissions(user).Root)
            {
                throw AuthException.PermissionDenied();
            }
        }
    }

    private void Check(string? user, byte[] key, byte[] rangeEnd, bool write)
    {
        lock (_lock)
        {
            if (!_state.Enabled)
            {
                return;
            }

            var p = Permissions(user);
            if (p.Root)
            {
                return;
            }

            var (start, end) = KeyIntervals.Of(key, rangeEnd);
            if (!(write ? p.Write : p.Read).Covers(start, end))
            {
                throw AuthException.PermissionDenied();
            }
        }
    }

    // Caller holds _lock.
    private (KeyIntervals Read, KeyIntervals Write, bool Root) Permissions(string? user)
    {
        if (string.IsNullOrEmpty(user))
        {
            throw AuthException.UserEmpty();
        }

        if (_cache.TryGetValue(user, out var cached))
        {
            return cached;
        }

        if (!_state.Users.TryGetValue(user, out var u))
        {
            throw AuthException.PermissionDenied();
        }

        var perms = u.Roles.Where(_state.Roles.ContainsKey).SelectMany(r => _state.Roles[r]).Select(p => p.ToPermission()).ToList();
        var result = (
            new KeyIntervals(perms.Where(p => p.Type != PermissionType.Write).Select(p => KeyIntervals.Of(p.Key, p.RangeEnd))),
            new KeyIntervals(perms.Where(p => p.Type != PermissionType.Read).Select(p => KeyIntervals.Of(p.Key, p.RangeEnd))),
            u.Roles.Contains(Root));
        _cache[user] = result;
        return result;
    }

    private static UserRecord UserOrThrow(State s, string name) =>
        s.Users.TryGetValue(name, out var u) ? u : throw AuthException.UserNotFound();

    private void DropTokensOf(string user)
    {
        foreach (var t in _tokens.Where(t => t.Value.User == user).Select(t => t.Key).ToList())
        {
            _tokens.Remove(t);
        }
    }

    /// <summary>Applies a change to a copy of the state, persists it, then publishes it; a failed change leaves nothing behind.</summary>
    private void Mutate(Action<State> change)
    {
        lock (_lock)
        {
            var next = JsonSerializer.Deserialize<State>(JsonSerializer.SerializeToUtf8Bytes(_state))!;
            change(next);
            next.Revision++;
            Persist(next);
            _state = next;
            _cache.Clear();
        }
    }

    private void Persist(State s)
    {
        var tmp = _path + ".tmp";
        using (var f = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            JsonSerializer.Serialize(f, s);
            f.Flush(flushToDisk: true);
        }

        File.Move(tmp, _path, overwrite: true);
    }

    private sealed class State
    {
        public bool Enabled { get; set; }
        public long Revision { get; set; }
        public Dictionary<string, UserRecord> Users { get; set; } = [];
        public Dictionary<string, List<PermissionRecord>> Roles { get; set; } = [];
    }

    private sealed record UserRecord(string Salt, string Hash, bool NoPassword)
    {
        public List<string> Roles { get; init; } = [];

        public static UserRecord Create(string password, bool noPassword)
        {
            var salt = RandomNumberGenerator.GetBytes(16);
            return new UserRecord(Convert.ToBase64String(salt), Convert.ToBase64String(Derive(password, salt)), noPassword);
        }

        public bool Matches(string password) =>
            CryptographicOperations.FixedTimeEquals(Derive(password, Convert.FromBase64String(Salt)), Convert.FromBase64String(Hash));

        private static byte[] Derive(string password, byte[] salt) =>
            Rfc2898DeriveBytes.Pbkdf2(password, salt, Pbkdf2Rounds, HashAlgorithmName.SHA256, 32);
    }

    private sealed record PermissionRecord(PermissionType Type, string Key, string RangeEnd)
    {
        public static PermissionRecord Of(Permission p) => new(p.Type, Convert.ToBase64String(p.Key), Convert.ToBase64String(p.RangeEnd));

        public Permission ToPermission() => new(Type, Convert.FromBase64String(Key), Convert.FromBase64String(RangeEnd));

        public bool SameInterval(PermissionRecord other) => Key == other.Key && RangeEnd == other.RangeEnd;
    }
}
