using System.Collections.Concurrent;
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
