using System.Text;
using System.Text.RegularExpressions;
using KvCluster.KvServer.Auth;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace KvCluster.KvServer.Tests.Auth;

public sealed class AuthStoreTests : IDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromSeconds(10);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "authstore-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new();

    public void Dispose()
    {
        if (Directory.Exists(_dir))
        {
            Directory.Delete(_dir, recursive: true);
        }
    }

    // ---- enable / disable ----

    [Fact]
    public void Enable_without_root_user_fails_with_etcds_message()
    {
        var auth = Open();

        var e = Assert.Throws<AuthException>(auth.Enable);

        Assert.Equal(AuthErrorCode.RootUserNotExist, e.Code);
        Assert.Equal("etcdserver: root user does not exist", e.Message);
        Assert.False(auth.Enabled);
    }

    [Fact]
    public void Enable_when_root_lacks_root_role_fails_with_etcds_message()
    {
        var auth = Open();
        auth.UserAdd("root", "pw", noPassword: false);
        auth.RoleAdd("root");

        var e = Assert.Throws<AuthException>(auth.Enable);

        Assert.Equal(AuthErrorCode.RootRoleNotExist, e.Code);
        Assert.Equal("etcdserver: root user does not have root role", e.Message);
        Assert.False(auth.Enabled);
    }

    [Fact]
    public void Enable_succeeds_once_root_holds_root_even_without_a_root_role_object()
    {
        var auth = Open();
        auth.UserAdd("root", "pw", noPassword: false);
        auth.UserGrantRole("root", "root"); // etcd lets "root" be granted before the role exists

        auth.Enable();

        Assert.True(auth.Enabled);
        Assert.Equal(["root"], auth.UserGet("root").Roles);
    }

    [Fact]
    public void Enable_is_idempotent_and_like_etcd_does_not_bump_the_revision_while_disable_does()
    {
        var auth = OpenWithRoot();
        var before = auth.Revision;

        auth.Enable();
        auth.Enable();
        Assert.True(auth.Enabled);
        Assert.Equal(before, auth.Revision);

        auth.Disable();
        Assert.False(auth.Enabled);
        Assert.Equal(before + 1, auth.Revision);

        auth.Disable();
        Assert.Equal(before + 1, auth.Revision);
    }

    [Fact]
    public void Every_mutation_bumps_the_revision()
    {
        var auth = Open();
        Assert.Equal(0, auth.Revision);

        auth.UserAdd("u", "pw", noPassword: false);
        Assert.Equal(1, auth.Revision);
        auth.RoleAdd("r");
        Assert.Equal(2, auth.Revision);
        auth.UserGrantRole("u", "r");
        Assert.Equal(3, auth.Revision);
        auth.RoleGrantPermission("r", new Permission(PermissionType.Read, B("k"), []));
        Assert.Equal(4, auth.Revision);
        auth.RoleRevokePermission("r", B("k"), []);
        Assert.Equal(5, auth.Revision);
        auth.UserRevokeRole("u", "r");
        Assert.Equal(6, auth.Revision);
        auth.UserChangePassword("u", "pw2");
        Assert.Equal(7, auth.Revision);
        auth.RoleDelete("r");
        Assert.Equal(8, auth.Revision);
        auth.UserDelete("u");
        Assert.Equal(9, auth.Revision);
    }

    // ---- authenticate / tokens ----

    [Fact]
    public void Authenticate_while_disabled_is_AuthNotEnabled()
    {
        var auth = Open();
        auth.UserAdd("root", "pw", noPassword: false);

        AssertError(AuthErrorCode.AuthNotEnabled, "etcdserver: authentication is not enabled", () => auth.Authenticate("root", "pw"));
    }

    [Fact]
    public void Authenticate_returns_an_etcd_style_simple_token_resolving_to_the_user()
    {
        var auth = OpenWithRoot(enable: true);
        auth.UserAdd("alice", "secret", noPassword: false);

        var token = auth.Authenticate("alice", "secret");
        var other = auth.Authenticate("alice", "secret");

        Assert.Matches(new Regex("^[a-zA-Z]{16}\\.[0-9]+$"), token);
        Assert.NotEqual(token, other);
        Assert.Equal("alice", auth.UserOf(token));
        Assert.Equal("alice", auth.UserOf(other));
        Assert.Equal("alice", auth.UserOf("Bearer " + token));
    }

    [Theory]
    [InlineData("alice", "wrong")]
    [InlineData("alice", "")]
    [InlineData("nobody", "secret")]
    [InlineData("nopw", "")]
    [InlineData("nopw", "anything")]
    public void Authenticate_fails_alike_for_wrong_password_unknown_user_and_passwordless_user(string name, string password)
    {
        var auth = OpenWithRoot(enable: true);
        auth.UserAdd("alice", "secret", noPassword: false);
        auth.UserAdd("nopw", "", noPassword: true);

        AssertError(AuthErrorCode.AuthFailed, "etcdserver: authentication failed, invalid user ID or password", () => auth.Authenticate(name, password));
    }

    [Fact]
    public void UserOf_without_a_token_is_anonymous_and_a_bad_token_is_InvalidAuthToken()
    {
        var auth = OpenWithRoot(enable: true);

        Assert.Null(auth.UserOf(null));
        Assert.Null(auth.UserOf(""));
        AssertError(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token", () => auth.UserOf("abcdefghijklmnop.1"));
    }

    [Fact]
    public void UserOf_ignores_tokens_while_auth_is_disabled()
    {
        var auth = Open();

        Assert.Null(auth.UserOf("garbage"));
    }

    [Fact]
    public void Tokens_expire_after_the_ttl_without_use_and_each_use_extends_them()
    {
        var auth = OpenWithRoot(enable: true);
        var token = auth.Authenticate("root", "rootpw");

        _time.Advance(Ttl - TimeSpan.FromSeconds(1));
        Assert.Equal("root", auth.UserOf(token));
        _time.Advance(Ttl - TimeSpan.FromSeconds(1)); // alive only because the previous use refreshed it
        Assert.Equal("root", auth.UserOf(token));

        _time.Advance(Ttl);
        AssertError(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token", () => auth.UserOf(token));
        AssertError(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token", () => auth.UserOf(token));

        var fresh = auth.Authenticate("root", "rootpw");
        Assert.Equal("root", auth.UserOf(fresh));
    }

    [Fact]
    public void Expired_unused_tokens_are_swept_when_new_ones_are_issued()
    {
        var auth = OpenWithRoot(enable: true);
        var old = auth.Authenticate("root", "rootpw");

        _time.Advance(Ttl + TimeSpan.FromSeconds(1));
        var fresh = auth.Authenticate("root", "rootpw");

        AssertError(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token", () => auth.UserOf(old));
        Assert.Equal("root", auth.UserOf(fresh));
    }

    [Fact]
    public void Disable_drops_every_token()
    {
        var auth = OpenWithRoot(enable: true);
        var token = auth.Authenticate("root", "rootpw");

        auth.Disable();
        Assert.Null(auth.UserOf(token)); // ignored while disabled
        auth.Enable();

        AssertError(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token", () => auth.UserOf(token));
    }

    [Fact]
    public void UserDelete_drops_that_users_tokens_only()
    {
        var auth = OpenWithRoot(enable: true);
        auth.UserAdd("alice", "a", noPassword: false);
        var alice = auth.Authenticate("alice", "a");
        var root = auth.Authenticate("root", "rootpw");

        auth.UserDelete("alice");

        AssertError(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token", () => auth.UserOf(alice));
        Assert.Equal("root", auth.UserOf(root));
    }

    [Fact]
    public void UserChangePassword_drops_tokens_and_only_the_new_password_works()
    {
        var auth = OpenWithRoot(enable: true);
        auth.UserAdd("alice", "old", noPassword: false);
        var token = auth.Authenticate("alice", "old");

        auth.UserChangePassword("alice", "new");

        AssertError(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token", () => auth.UserOf(token));
        AssertError(AuthErrorCode.AuthFailed, "etcdserver: authentication failed, invalid user ID or password", () => auth.Authenticate("alice", "old"));
        Assert.Equal("alice", auth.UserOf(auth.Authenticate("alice", "new")));
    }

    [Fact]
    public void A_passwordless_user_stays_passwordless_after_a_password_change()
    {
        var auth = OpenWithRoot(enable: true);
        auth.UserAdd("svc", "", noPassword: true);

        auth.UserChangePassword("svc", "pw");

        Assert.True(auth.UserGet("svc").NoPassword);
        AssertError(AuthErrorCode.AuthFailed, "etcdserver: authentication failed, invalid user ID or password", () => auth.Authenticate("svc", "pw"));
    }

    // ---- persistence ----

    [Fact]
    public void State_survives_reopen_and_passwords_still_work()
    {
        var auth = OpenWithRoot();
        auth.RoleAdd("root");
        auth.UserAdd("alice", "alicepw", noPassword: false);
        auth.UserAdd("svc", "", noPassword: true);
        auth.RoleAdd("reader");
        auth.RoleGrantPermission("reader", new Permission(PermissionType.Read, B("a"), B("c")));
        auth.RoleGrantPermission("reader", new Permission(PermissionType.ReadWrite, [0], [0]));
        auth.UserGrantRole("alice", "reader");
        auth.Enable();
        var revision = auth.Revision;

        var reopened = Open();

        Assert.True(reopened.Enabled);
        Assert.Equal(revision, reopened.Revision);
        Assert.Equal(["alice", "root", "svc"], reopened.UserList());
        Assert.Equal(["reader", "root"], reopened.RoleList());
        Assert.Equal(["reader"], reopened.UserGet("alice").Roles);
        Assert.True(reopened.UserGet("svc").NoPassword);
        Assert.False(reopened.UserGet("alice").NoPassword);
        var perms = reopened.RoleGet("reader").Permissions;
        Assert.Equal(2, perms.Count);
        AssertPermission(perms[0], PermissionType.ReadWrite, [0], [0]);
        AssertPermission(perms[1], PermissionType.Read, B("a"), B("c"));
        Assert.Equal("alice", reopened.UserOf(reopened.Authenticate("alice", "alicepw")));
        Assert.Equal("root", reopened.UserOf(reopened.Authenticate("root", "rootpw")));
        reopened.CheckRange("alice", B("b"), []);
    }

    [Fact]
    public void Tokens_do_not_survive_reopen()
    {
        var auth = OpenWithRoot(enable: true);
        var token = auth.Authenticate("root", "rootpw");

        var reopened = Open();

        AssertError(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token", () => reopened.UserOf(token));
    }

    [Fact]
    public void The_file_is_replaced_atomically_and_holds_no_clear_text_password()
    {
        var auth = Open();
        auth.UserAdd("alice", "Sup3rS3cretPassw0rd", noPassword: false);

        var path = Path.Combine(_dir, "auth.json");
        Assert.True(File.Exists(path));
        Assert.False(File.Exists(path + ".tmp"));
        var text = File.ReadAllText(path);
        Assert.Contains("alice", text);
        Assert.DoesNotContain("Sup3rS3cretPassw0rd", text);
        Assert.DoesNotContain(Convert.ToBase64String(Encoding.UTF8.GetBytes("Sup3rS3cretPassw0rd")), text);
    }

    [Fact]
    public void A_failed_change_leaves_memory_and_disk_unchanged()
    {
        var auth = Open();
        auth.UserAdd("alice", "pw", noPassword: false);
        var revision = auth.Revision;
        var path = Path.Combine(_dir, "auth.json");
        var before = File.ReadAllBytes(path);

        Assert.Throws<AuthException>(() => auth.UserAdd("alice", "pw2", noPassword: false));
        Assert.Throws<AuthException>(() => auth.UserGrantRole("alice", "missing"));

        Assert.Equal(revision, auth.Revision);
        Assert.Equal(before, File.ReadAllBytes(path));
        Assert.Equal(revision, Open().Revision);
    }

    [Fact]
    public void A_corrupt_file_is_an_error_not_an_open_store()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "auth.json"), "{ not json");

        Assert.Throws<InvalidDataException>(() => Open());
    }

    // ---- management errors ----

    public static TheoryData<string, AuthErrorCode, string> ManagementErrors() => new()
    {
        { "UserAdd empty", AuthErrorCode.UserEmpty, "etcdserver: user name is empty" },
        { "UserAdd existing", AuthErrorCode.UserAlreadyExist, "etcdserver: user name already exists" },
        { "UserDelete missing", AuthErrorCode.UserNotFound, "etcdserver: user name not found" },
        { "UserDelete root enabled", AuthErrorCode.InvalidAuthMgmt, "etcdserver: invalid auth management" },
        { "UserChangePassword missing", AuthErrorCode.UserNotFound, "etcdserver: user name not found" },
        { "UserGet missing", AuthErrorCode.UserNotFound, "etcdserver: user name not found" },
        { "UserGrantRole missing user", AuthErrorCode.UserNotFound, "etcdserver: user name not found" },
        { "UserGrantRole missing role", AuthErrorCode.RoleNotFound, "etcdserver: role name not found" },
        { "UserRevokeRole missing user", AuthErrorCode.UserNotFound, "etcdserver: user name not found" },
        { "UserRevokeRole not granted", AuthErrorCode.RoleNotGranted, "etcdserver: role is not granted to the user" },
        { "UserRevokeRole root from root enabled", AuthErrorCode.InvalidAuthMgmt, "etcdserver: invalid auth management" },
        { "RoleAdd empty", AuthErrorCode.RoleEmpty, "etcdserver: role name is empty" },
        { "RoleAdd existing", AuthErrorCode.RoleAlreadyExist, "etcdserver: role name already exists" },
        { "RoleDelete missing", AuthErrorCode.RoleNotFound, "etcdserver: role name not found" },
        { "RoleDelete root enabled", AuthErrorCode.InvalidAuthMgmt, "etcdserver: invalid auth management" },
        { "RoleGet missing", AuthErrorCode.RoleNotFound, "etcdserver: role name not found" },
        { "RoleGrantPermission missing role", AuthErrorCode.RoleNotFound, "etcdserver: role name not found" },
        { "RoleGrantPermission null", AuthErrorCode.PermissionNotGiven, "etcdserver: permission not given" },
        { "RoleGrantPermission empty key", AuthErrorCode.InvalidAuthMgmt, "etcdserver: invalid auth management" },
        { "RoleGrantPermission end before key", AuthErrorCode.InvalidAuthMgmt, "etcdserver: invalid auth management" },
        { "RoleGrantPermission end equals key", AuthErrorCode.InvalidAuthMgmt, "etcdserver: invalid auth management" },
        { "RoleRevokePermission missing role", AuthErrorCode.RoleNotFound, "etcdserver: role name not found" },
        { "RoleRevokePermission not granted", AuthErrorCode.PermissionNotGranted, "etcdserver: permission is not granted to the role" },
        { "RoleRevokePermission other range_end", AuthErrorCode.PermissionNotGranted, "etcdserver: permission is not granted to the role" },
    };

    [Theory]
    [MemberData(nameof(ManagementErrors))]
    public void Management_errors_carry_etcds_exact_messages(string operation, AuthErrorCode code, string message)
    {
        var auth = OpenWithRoot(enable: true);
        auth.UserAdd("alice", "pw", noPassword: false);
        auth.RoleAdd("reader");
        auth.RoleGrantPermission("reader", new Permission(PermissionType.Read, B("k"), B("m")));
        var revision = auth.Revision;

        Action act = operation switch
        {
            "UserAdd empty" => () => auth.UserAdd("", "pw", noPassword: false),
            "UserAdd existing" => () => auth.UserAdd("alice", "pw", noPassword: false),
            "UserDelete missing" => () => auth.UserDelete("bob"),
            "UserDelete root enabled" => () => auth.UserDelete("root"),
            "UserChangePassword missing" => () => auth.UserChangePassword("bob", "pw"),
            "UserGet missing" => () => auth.UserGet("bob"),
            "UserGrantRole missing user" => () => auth.UserGrantRole("bob", "reader"),
            "UserGrantRole missing role" => () => auth.UserGrantRole("alice", "writer"),
            "UserRevokeRole missing user" => () => auth.UserRevokeRole("bob", "reader"),
            "UserRevokeRole not granted" => () => auth.UserRevokeRole("alice", "reader"),
            "UserRevokeRole root from root enabled" => () => auth.UserRevokeRole("root", "root"),
            "RoleAdd empty" => () => auth.RoleAdd(""),
            "RoleAdd existing" => () => auth.RoleAdd("reader"),
            "RoleDelete missing" => () => auth.RoleDelete("writer"),
            "RoleDelete root enabled" => () => auth.RoleDelete("root"),
            "RoleGet missing" => () => auth.RoleGet("writer"),
            "RoleGrantPermission missing role" => () => auth.RoleGrantPermission("writer", new Permission(PermissionType.Read, B("k"), [])),
            "RoleGrantPermission null" => () => auth.RoleGrantPermission("reader", null!),
            "RoleGrantPermission empty key" => () => auth.RoleGrantPermission("reader", new Permission(PermissionType.Read, [], [])),
            "RoleGrantPermission end before key" => () => auth.RoleGrantPermission("reader", new Permission(PermissionType.Read, B("m"), B("k"))),
            "RoleGrantPermission end equals key" => () => auth.RoleGrantPermission("reader", new Permission(PermissionType.Read, B("k"), B("k"))),
            "RoleRevokePermission missing role" => () => auth.RoleRevokePermission("writer", B("k"), B("m")),
            "RoleRevokePermission not granted" => () => auth.RoleRevokePermission("reader", B("x"), []),
            "RoleRevokePermission other range_end" => () => auth.RoleRevokePermission("reader", B("k"), []),
            _ => throw new ArgumentOutOfRangeException(nameof(operation), operation, null),
        };

        AssertError(code, message, act);
        Assert.Equal(revision, auth.Revision);
    }

    [Fact]
    public void Root_user_and_role_may_be_changed_while_auth_is_disabled()
    {
        var auth = OpenWithRoot();
        auth.RoleAdd("root");

        auth.UserRevokeRole("root", "root");
        auth.RoleDelete("root");
        auth.UserDelete("root");

        Assert.Empty(auth.UserList());
        Assert.Empty(auth.RoleList());
    }

    [Fact]
    public void Granting_a_held_role_again_changes_nothing()
    {
        var auth = Open();
        auth.UserAdd("alice", "pw", noPassword: false);
        auth.RoleAdd("reader");
        auth.UserGrantRole("alice", "reader");
        var revision = auth.Revision;

        auth.UserGrantRole("alice", "reader");

        Assert.Equal(["reader"], auth.UserGet("alice").Roles);
        Assert.Equal(revision, auth.Revision);
    }

    [Fact]
    public void Users_roles_and_permissions_are_listed_sorted()
    {
        var auth = Open();
        foreach (var name in new[] { "carol", "alice", "bob" })
        {
            auth.UserAdd(name, "pw", noPassword: false);
            auth.RoleAdd("role-" + name);
        }

        foreach (var name in new[] { "carol", "alice", "bob" })
        {
            auth.UserGrantRole("alice", "role-" + name);
        }

        auth.RoleGrantPermission("role-alice", new Permission(PermissionType.Write, B("m"), []));
        auth.RoleGrantPermission("role-alice", new Permission(PermissionType.Read, B("b"), B("c")));
        auth.RoleGrantPermission("role-alice", new Permission(PermissionType.ReadWrite, B("x"), [0]));

        Assert.Equal(["alice", "bob", "carol"], auth.UserList());
        Assert.Equal(["role-alice", "role-bob", "role-carol"], auth.RoleList());
        Assert.Equal(["role-alice", "role-bob", "role-carol"], auth.UserGet("alice").Roles);
        var perms = auth.RoleGet("role-alice").Permissions;
        Assert.Equal(3, perms.Count);
        AssertPermission(perms[0], PermissionType.Read, B("b"), B("c"));
        AssertPermission(perms[1], PermissionType.Write, B("m"), []);
        AssertPermission(perms[2], PermissionType.ReadWrite, B("x"), [0]);
    }

    [Fact]
    public void Granting_the_same_interval_again_replaces_its_type()
    {
        var auth = Open();
        auth.RoleAdd("r");
        auth.RoleGrantPermission("r", new Permission(PermissionType.Read, B("a"), B("c")));
        auth.RoleGrantPermission("r", new Permission(PermissionType.Read, B("a"), []));

        auth.RoleGrantPermission("r", new Permission(PermissionType.Write, B("a"), B("c")));

        var perms = auth.RoleGet("r").Permissions;
        Assert.Equal(2, perms.Count);
        AssertPermission(perms[0], PermissionType.Read, B("a"), []);
        AssertPermission(perms[1], PermissionType.Write, B("a"), B("c"));
    }

    [Fact]
    public void RoleDelete_revokes_the_role_from_every_user()
    {
        var auth = Open();
        auth.UserAdd("alice", "pw", noPassword: false);
        auth.UserAdd("bob", "pw", noPassword: false);
        auth.RoleAdd("reader");
        auth.RoleAdd("writer");
        auth.UserGrantRole("alice", "reader");
        auth.UserGrantRole("alice", "writer");
        auth.UserGrantRole("bob", "reader");

        auth.RoleDelete("reader");

        Assert.Equal(["writer"], auth.UserGet("alice").Roles);
        Assert.Empty(auth.UserGet("bob").Roles);
        Assert.Equal(["writer"], auth.RoleList());
    }

    [Fact]
    public void Returned_permissions_are_copies()
    {
        var auth = Open();
        auth.RoleAdd("r");
        var key = B("a");
        auth.RoleGrantPermission("r", new Permission(PermissionType.Read, key, []));
        key[0] = (byte)'z';

        auth.RoleGet("r").Permissions[0].Key[0] = (byte)'q';

        AssertPermission(auth.RoleGet("r").Permissions[0], PermissionType.Read, B("a"), []);
    }

    // ---- permission checks ----

    // Role "mixed": read k1; readwrite the prefix p/ (as [p/, p0)); write [a, c) and [c, e) (adjacent);
    // read [r, s) and [t, v) (a gap between); read everything from x on (open-ended).
    public static TheoryData<string, string, string, bool> Coverage() => new()
    {
        // single key
        { "read", "k1", "", true },
        { "write", "k1", "", false },
        { "read", "k2", "", false },
        { "read", "k", "", false },
        { "read", "k1", "k1\0", true },
        { "read", "k1", "k2", false },
        // prefix through a range permission
        { "read", "p/", "", true },
        { "read", "p/a", "", true },
        { "write", "p/a", "", true },
        { "read", "p/", "p0", true },
        { "delete", "p/", "p0", true },
        { "read", "p/a/", "p/a0", true },
        { "read", "p/", "p1", false },
        { "read", "p", "", false },
        { "read", "p0", "", false },
        { "delete", "p/", "\0", false },
        // adjacent intervals merge
        { "write", "a", "e", true },
        { "delete", "a", "e", true },
        { "write", "b", "", true },
        { "write", "c", "", true },
        { "write", "d", "", true },
        { "delete", "b", "d", true },
        { "write", "e", "", false },
        { "delete", "a", "e\0", false },
        { "delete", "a", "f", false },
        { "read", "b", "", false },
        { "read", "a", "e", false },
        // gaps are denied
        { "read", "r", "s", true },
        { "read", "t", "v", true },
        { "read", "r", "v", false },
        { "read", "s", "", false },
        { "read", "r", "s\0", false },
        // open-ended permission
        { "read", "x", "", true },
        { "read", "zzz", "", true },
        { "read", "x", "\0", true },
        { "read", "y", "\u00ff\u00ff", true },
        { "read", "w", "\0", false },
        { "write", "x", "", false },
        { "read", "\0", "\0", false },
    };

    [Theory]
    [MemberData(nameof(Coverage))]
    public void Permission_coverage(string op, string key, string rangeEnd, bool allowed)
    {
        var auth = OpenWithRoot();
        auth.UserAdd("u", "pw", noPassword: false);
        auth.RoleAdd("mixed");
        auth.RoleAdd("empty");
        auth.RoleGrantPermission("mixed", new Permission(PermissionType.Read, B("k1"), []));
        auth.RoleGrantPermission("mixed", new Permission(PermissionType.ReadWrite, B("p/"), B("p0")));
        auth.RoleGrantPermission("mixed", new Permission(PermissionType.Write, B("a"), B("c")));
        auth.RoleGrantPermission("mixed", new Permission(PermissionType.Write, B("c"), B("e")));
        auth.RoleGrantPermission("mixed", new Permission(PermissionType.Read, B("r"), B("s")));
        auth.RoleGrantPermission("mixed", new Permission(PermissionType.Read, B("t"), B("v")));
        auth.RoleGrantPermission("mixed", new Permission(PermissionType.Read, B("x"), [0]));
        auth.UserGrantRole("u", "mixed");
        auth.UserGrantRole("u", "empty");
        auth.Enable();

        Action check = op switch
        {
            "read" => () => auth.CheckRange("u", B(key), B(rangeEnd)),
            "write" => () => auth.CheckPut("u", B(key)),
            "delete" => () => auth.CheckDeleteRange("u", B(key), B(rangeEnd)),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, null),
        };

        if (allowed)
        {
            check();
        }
        else
        {
            AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", check);
        }
    }

    [Fact]
    public void Intervals_from_different_roles_merge()
    {
        var auth = OpenWithRoot();
        auth.UserAdd("u", "pw", noPassword: false);
        auth.RoleAdd("first");
        auth.RoleAdd("second");
        auth.RoleGrantPermission("first", new Permission(PermissionType.Read, B("a"), B("c")));
        auth.RoleGrantPermission("second", new Permission(PermissionType.ReadWrite, B("b"), B("e")));
        auth.UserGrantRole("u", "first");
        auth.UserGrantRole("u", "second");
        auth.Enable();

        auth.CheckRange("u", B("a"), B("e"));
        auth.CheckDeleteRange("u", B("b"), B("e"));
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", () => auth.CheckDeleteRange("u", B("a"), B("e")));
    }

    [Fact]
    public void A_readwrite_permission_on_every_key_allows_everything_but_admin()
    {
        var auth = OpenWithRoot();
        auth.UserAdd("u", "pw", noPassword: false);
        auth.RoleAdd("all");
        auth.RoleGrantPermission("all", new Permission(PermissionType.ReadWrite, [0], [0]));
        auth.UserGrantRole("u", "all");
        auth.Enable();

        auth.CheckRange("u", [0], [0]);
        auth.CheckDeleteRange("u", [0], [0]);
        auth.CheckPut("u", B("anything"));
        auth.CheckRange("u", B("a"), B("b"));
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", () => auth.CheckAdmin("u"));
    }

    [Fact]
    public void An_unknown_permission_type_is_kept_but_grants_nothing()
    {
        var auth = OpenWithRoot();
        auth.UserAdd("u", "pw", noPassword: false);
        auth.RoleAdd("r");
        auth.RoleGrantPermission("r", new Permission((PermissionType)7, B("k"), []));
        auth.UserGrantRole("u", "r");
        auth.Enable();

        var reopened = Open();

        Assert.Equal((PermissionType)7, reopened.RoleGet("r").Permissions[0].Type);
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", () => reopened.CheckRange("u", B("k"), []));
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", () => reopened.CheckPut("u", B("k")));
    }

    [Fact]
    public void The_root_role_allows_everything_without_permissions()
    {
        var auth = OpenWithRoot();
        auth.UserAdd("admin", "pw", noPassword: false);
        auth.UserGrantRole("admin", "root");
        auth.Enable();

        foreach (var user in new[] { "root", "admin" })
        {
            auth.CheckRange(user, [0], [0]);
            auth.CheckPut(user, B("k"));
            auth.CheckDeleteRange(user, B("a"), B("z"));
            auth.CheckAdmin(user);
        }
    }

    [Fact]
    public void Missing_and_unknown_users_are_refused_as_etcd_refuses_them()
    {
        var auth = OpenWithRoot(enable: true);

        AssertError(AuthErrorCode.UserEmpty, "etcdserver: user name is empty", () => auth.CheckRange(null, B("k"), []));
        AssertError(AuthErrorCode.UserEmpty, "etcdserver: user name is empty", () => auth.CheckPut("", B("k")));
        AssertError(AuthErrorCode.UserEmpty, "etcdserver: user name is empty", () => auth.CheckAdmin(null));
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", () => auth.CheckRange("ghost", B("k"), []));
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", () => auth.CheckDeleteRange("ghost", B("k"), []));
        AssertError(AuthErrorCode.UserNotFound, "etcdserver: user name not found", () => auth.CheckAdmin("ghost"));
    }

    [Fact]
    public void Every_check_passes_while_auth_is_disabled()
    {
        var auth = Open();
        auth.UserAdd("u", "pw", noPassword: false);

        auth.CheckRange(null, [0], [0]);
        auth.CheckPut(null, B("k"));
        auth.CheckDeleteRange("", B("a"), B("z"));
        auth.CheckAdmin(null);
        auth.CheckRange("u", B("k"), []);
        auth.CheckAdmin("ghost");
    }

    [Fact]
    public void Checks_follow_changes_at_once()
    {
        var auth = OpenWithRoot();
        auth.UserAdd("u", "pw", noPassword: false);
        auth.RoleAdd("r");
        auth.UserGrantRole("u", "r");
        auth.Enable();
        var denied = () => auth.CheckPut("u", B("k"));
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", denied);

        auth.RoleGrantPermission("r", new Permission(PermissionType.Write, B("k"), []));
        auth.CheckPut("u", B("k"));

        auth.RoleGrantPermission("r", new Permission(PermissionType.Read, B("k"), []));
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", denied);

        auth.RoleGrantPermission("r", new Permission(PermissionType.ReadWrite, B("k"), []));
        auth.CheckPut("u", B("k"));

        auth.UserRevokeRole("u", "r");
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", denied);

        auth.UserGrantRole("u", "r");
        auth.CheckPut("u", B("k"));
        auth.RoleRevokePermission("r", B("k"), []);
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", denied);

        auth.RoleGrantPermission("r", new Permission(PermissionType.Write, B("k"), []));
        auth.RoleDelete("r");
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", denied);

        auth.UserGrantRole("u", "root");
        auth.CheckPut("u", B("k"));
        auth.CheckAdmin("u");
        auth.UserDelete("u");
        AssertError(AuthErrorCode.PermissionDenied, "etcdserver: permission denied", denied);
    }

    [Fact]
    public async Task Checks_run_safely_while_the_configuration_changes()
    {
        var auth = OpenWithRoot();
        auth.UserAdd("u", "pw", noPassword: false);
        auth.RoleAdd("r");
        auth.RoleGrantPermission("r", new Permission(PermissionType.Read, B("a"), B("z")));
        auth.UserGrantRole("u", "r");
        auth.Enable();
        using var stop = new CancellationTokenSource();

        var readers = Enumerable.Range(0, 2).Select(_ => Task.Run(() =>
        {
            var checks = 0;
            while (!stop.IsCancellationRequested || checks == 0)
            {
                auth.CheckRange("u", B("b"), B("c")); // never revoked below
                checks++;
            }

            return checks;
        })).ToList();

        for (var i = 0; i < 50; i++)
        {
            auth.RoleGrantPermission("r", new Permission(PermissionType.Write, B("k" + i), []));
            auth.CheckPut("u", B("k" + i));
        }

        stop.Cancel();
        foreach (var checks in await Task.WhenAll(readers))
        {
            Assert.True(checks > 0);
        }
    }

    private AuthStore Open() => AuthStore.Open(_dir, _time, Ttl);

    private AuthStore OpenWithRoot(bool enable = false)
    {
        var auth = Open();
        auth.UserAdd("root", "rootpw", noPassword: false);
        auth.UserGrantRole("root", "root");
        if (enable)
        {
            auth.Enable();
        }

        return auth;
    }

    // Latin-1 maps each char to one byte, so "\0" is {0} and "\u00ff" is {0xff}.
    private static byte[] B(string s) => Encoding.Latin1.GetBytes(s);

    private static void AssertError(AuthErrorCode code, string message, Action act)
    {
        var e = Assert.Throws<AuthException>(act);
        Assert.Equal(code, e.Code);
        Assert.Equal(message, e.Message);
    }

    private static void AssertPermission(Permission actual, PermissionType type, byte[] key, byte[] rangeEnd)
    {
        Assert.Equal(type, actual.Type);
        Assert.Equal(key, actual.Key);
        Assert.Equal(rangeEnd, actual.RangeEnd);
    }
}
