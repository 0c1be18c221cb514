using System.Text;
using KvCluster.KvServer.Auth;
using Microsoft.Extensions.Time.Testing;

namespace KvCluster.KvServer.Tests.Auth;

public sealed class AuthStoreTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvauth-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(DateTimeOffset.Parse("2026-01-01T00:00:00Z"));

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private AuthStore Open() => AuthStore.Open(_dir, _time, TimeSpan.FromMinutes(5));

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private static void Fails(string message, Action action) => Assert.Equal(message, Assert.Throws<AuthException>(action).Message);

    [Fact]
    public void EnableNeedsARootUserWithTheRootRole()
    {
        var a = Open();
        Fails("etcdserver: root user does not exist", a.Enable);
        a.UserAdd("root", "pw", noPassword: false);
        Fails("etcdserver: root user does not have root role", a.Enable);
        a.UserGrantRole("root", "root"); // granted although no role "root" exists, as etcd allows
        a.Enable();
        Assert.True(a.Enabled);
        Fails("etcdserver: invalid auth management", () => a.UserDelete("root"));
        Fails("etcdserver: invalid auth management", () => a.UserRevokeRole("root", "root"));
    }

    [Fact]
    public void AuthenticateTokensExpireWhenUnusedAndDieWithDisable()
    {
        var a = Open();
        a.UserAdd("root", "pw", false);
        a.UserGrantRole("root", "root");
        Fails("etcdserver: authentication is not enabled", () => a.Authenticate("root", "pw"));
        a.Enable();
        Fails("etcdserver: authentication failed, invalid user ID or password", () => a.Authenticate("root", "bad"));
        Fails("etcdserver: authentication failed, invalid user ID or password", () => a.Authenticate("nobody", "pw"));
        var token = a.Authenticate("root", "pw");
        Assert.Equal("root", a.UserOf(token));
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("root", a.UserOf(token)); // use refreshes it
        _time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal("root", a.UserOf(token));
        _time.Advance(TimeSpan.FromMinutes(6));
        Fails("etcdserver: invalid auth token", () => a.UserOf(token));
        var fresh = a.Authenticate("root", "pw");
        a.Disable();
        Assert.Null(a.UserOf(fresh));
        a.UserAdd("root2", "pw", false);
        a.UserGrantRole("root2", "root");
        a.Enable();
        Fails("etcdserver: invalid auth token", () => a.UserOf(fresh));
    }

    [Fact]
    public void ManagementErrorsUseEtcdsMessages()
    {
        var a = Open();
        Fails("etcdserver: user name is empty", () => a.UserAdd("", "x", false));
        a.UserAdd("u", "x", false);
        Fails("etcdserver: user name already exists", () => a.UserAdd("u", "y", false));
        Fails("etcdserver: user name not found", () => a.UserGet("v"));
        Fails("etcdserver: role name is empty", () => a.RoleAdd(""));
        a.RoleAdd("r");
        Fails("etcdserver: role name already exists", () => a.RoleAdd("r"));
        Fails("etcdserver: role name not found", () => a.UserGrantRole("u", "missing"));
        Fails("etcdserver: role is not granted to the user", () => a.UserRevokeRole("u", "r"));
        Fails("etcdserver: permission is not granted to the role", () => a.RoleRevokePermission("r", K("k"), []));
        Fails("etcdserver: role name not found", () => a.RoleGrantPermission("missing", new Permission(PermissionType.Read, K("k"), [])));
        a.RoleGrantPermission("r", new Permission(PermissionType.Read, K("b"), []));
        a.RoleGrantPermission("r", new Permission(PermissionType.Write, K("a"), []));
        a.RoleGrantPermission("r", new Permission(PermissionType.ReadWrite, K("a"), [])); // replaces the one on the same key
        Assert.Equal(["a", "b"], a.RoleGet("r").Permissions.Select(p => Encoding.UTF8.GetString(p.Key)));
        Assert.Equal(PermissionType.ReadWrite, a.RoleGet("r").Permissions[0].Type);
        a.UserGrantRole("u", "r");
        a.RoleDelete("r");
        Assert.Empty(a.UserGet("u").Roles);
    }

    [Fact]
    public void PermissionChecksFollowRolesAndAreOffWhileDisabled()
    {
        var a = Open();
        a.CheckPut(null, K("anything")); // auth off: everything allowed
        a.UserAdd("root", "pw", false);
        a.UserGrantRole("root", "root");
        a.UserAdd("alice", "pw", false);
        a.RoleAdd("reader");
        a.RoleGrantPermission("reader", new Permission(PermissionType.Read, K("foo/"), K("foo0")));
        a.RoleGrantPermission("reader", new Permission(PermissionType.ReadWrite, K("k"), []));
        a.UserGrantRole("alice", "reader");
        a.Enable();

        Fails("etcdserver: user name is empty", () => a.CheckRange(null, K("foo/a"), []));
        Fails("etcdserver: permission denied", () => a.CheckRange("ghost", K("foo/a"), []));
        a.CheckRange("alice", K("foo/a"), []);
        a.CheckRange("alice", K("foo/"), K("foo0"));
        Fails("etcdserver: permission denied", () => a.CheckRange("alice", K("foo/"), [0]));
        Fails("etcdserver: permission denied", () => a.CheckPut("alice", K("foo/a")));
        a.CheckPut("alice", K("k"));
        a.CheckDeleteRange("alice", K("k"), []);
        Fails("etcdserver: permission denied", () => a.CheckAdmin("alice"));
        a.CheckAdmin("root");
        a.CheckDeleteRange("root", [0], [0]);

        a.RoleRevokePermission("reader", K("foo/"), K("foo0"));
        Fails("etcdserver: permission denied", () => a.CheckRange("alice", K("foo/a"), []));
    }

    [Fact]
    public void StateSurvivesReopenAndPasswordsAreNotStoredInClear()
    {
        var a = Open();
        a.UserAdd("root", "secret-password", false);
        a.UserGrantRole("root", "root");
        a.RoleAdd("r");
        a.RoleGrantPermission("r", new Permission(PermissionType.Write, K("x"), [0]));
        a.Enable();
        long revision = a.Revision;

        var b = Open();
        Assert.True(b.Enabled);
        Assert.Equal(revision, b.Revision);
        Assert.Equal(["r"], b.RoleList());
        Assert.Equal(["root"], b.UserList());
        Assert.Equal("root", b.UserOf(b.Authenticate("root", "secret-password")));
        Assert.DoesNotContain("secret-password", File.ReadAllText(Path.Combine(_dir, "auth.json")));
    }
}
