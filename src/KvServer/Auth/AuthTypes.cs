namespace KvCluster.KvServer.Auth;

/// <summary>
/// What a key permission allows. The numbering is authpb.Permission.Type's, so the gRPC edge can
/// cast the wire value straight through and etcdctl's READ / WRITE / READWRITE round-trip unchanged.
/// </summary>
public enum PermissionType
{
    /// <summary>Range and Watch on the keys.</summary>
    Read = 0,

    /// <summary>Put and DeleteRange on the keys.</summary>
    Write = 1,

    /// <summary>Both; satisfies a read check and a write check.</summary>
    ReadWrite = 2,
}

/// <summary>
/// A key permission of a role, in etcd's encoding so it is stored and returned exactly as granted:
/// <see cref="RangeEnd"/> empty = the key alone; <see cref="RangeEnd"/> = {0} = every key from
/// <see cref="Key"/> on (open-ended, what etcdctl --from-key sends); otherwise the keys in
/// [<see cref="Key"/>, <see cref="RangeEnd"/>). Key {0} with RangeEnd {0} is therefore every key.
/// </summary>
/// <remarks>A record over arrays compares by reference; compare the bytes when equality matters.</remarks>
public sealed record Permission(PermissionType Type, byte[] Key, byte[] RangeEnd);

/// <summary>A user as AuthUserGet reports it: its roles sorted as etcd keeps them; never its password.</summary>
public sealed record UserInfo(string Name, IReadOnlyList<string> Roles, bool NoPassword);

/// <summary>A role as AuthRoleGet reports it: its permissions sorted by key, as etcd returns them.</summary>
public sealed record RoleInfo(string Name, IReadOnlyList<Permission> Permissions);

/// <summary>
/// Which auth error happened, so the gRPC edge can pick etcd's status code without parsing messages.
/// </summary>
public enum AuthErrorCode
{
    /// <summary>AuthEnable without a user "root".</summary>
    RootUserNotExist,

    /// <summary>AuthEnable while user "root" lacks role "root".</summary>
    RootRoleNotExist,

    /// <summary>UserAdd of an existing name.</summary>
    UserAlreadyExist,

    /// <summary>An empty user name, or a permission check with no user (no token sent while auth is on).</summary>
    UserEmpty,

    /// <summary>A user that does not exist.</summary>
    UserNotFound,

    /// <summary>RoleAdd of an existing name.</summary>
    RoleAlreadyExist,

    /// <summary>A role that does not exist.</summary>
    RoleNotFound,

    /// <summary>An empty role name.</summary>
    RoleEmpty,

    /// <summary>Unknown user, wrong password, or a password-less user.</summary>
    AuthFailed,

    /// <summary>RoleGrantPermission without a permission.</summary>
    PermissionNotGiven,

    /// <summary>The user's roles do not cover the request.</summary>
    PermissionDenied,

    /// <summary>UserRevokeRole of a role the user does not hold.</summary>
    RoleNotGranted,

    /// <summary>RoleRevokePermission of a (key, range_end) the role does not hold.</summary>
    PermissionNotGranted,

    /// <summary>Authenticate while auth is off.</summary>
    AuthNotEnabled,

    /// <summary>An unknown or expired token.</summary>
    InvalidAuthToken,

    /// <summary>A change that would lock everyone out (root user / root role while auth is on) or an invalid permission range.</summary>
    InvalidAuthMgmt,
}

/// <summary>
/// An auth error carrying etcd's exact message: clientv3 and etcdctl recognise errors by their text
/// (etcdctl's "auth enable" retries after creating the root role only when it sees RootRoleNotExist's),
/// so the messages must match etcd's byte for byte. The gRPC edge picks the status code from <see cref="Code"/>.
/// </summary>
public sealed class AuthException(AuthErrorCode code, string message) : Exception(message)
{
    /// <summary>Which error this is; the gRPC edge maps it to a status code.</summary>
    public AuthErrorCode Code { get; } = code;

    /// <summary>AuthEnable without a user "root".</summary>
    public static AuthException RootUserNotExist() => new(AuthErrorCode.RootUserNotExist, "etcdserver: root user does not exist");

    /// <summary>AuthEnable while user "root" lacks role "root".</summary>
    public static AuthException RootRoleNotExist() => new(AuthErrorCode.RootRoleNotExist, "etcdserver: root user does not have root role");

    /// <summary>UserAdd of an existing name.</summary>
    public static AuthException UserAlreadyExist() => new(AuthErrorCode.UserAlreadyExist, "etcdserver: user name already exists");

    /// <summary>An empty user name, or a check without a user.</summary>
    public static AuthException UserEmpty() => new(AuthErrorCode.UserEmpty, "etcdserver: user name is empty");

    /// <summary>A user that does not exist.</summary>
    public static AuthException UserNotFound() => new(AuthErrorCode.UserNotFound, "etcdserver: user name not found");

    /// <summary>RoleAdd of an existing name.</summary>
    public static AuthException RoleAlreadyExist() => new(AuthErrorCode.RoleAlreadyExist, "etcdserver: role name already exists");

    /// <summary>A role that does not exist.</summary>
    public static AuthException RoleNotFound() => new(AuthErrorCode.RoleNotFound, "etcdserver: role name not found");

    /// <summary>An empty role name.</summary>
    public static AuthException RoleEmpty() => new(AuthErrorCode.RoleEmpty, "etcdserver: role name is empty");

    /// <summary>Unknown user, wrong password or a password-less user: one message so callers cannot probe which.</summary>
    public static AuthException AuthFailed() => new(AuthErrorCode.AuthFailed, "etcdserver: authentication failed, invalid user ID or password");

    /// <summary>RoleGrantPermission without a permission.</summary>
    public static AuthException PermissionNotGiven() => new(AuthErrorCode.PermissionNotGiven, "etcdserver: permission not given");

    /// <summary>The user's roles do not cover the request.</summary>
    public static AuthException PermissionDenied() => new(AuthErrorCode.PermissionDenied, "etcdserver: permission denied");

    /// <summary>UserRevokeRole of a role the user does not hold.</summary>
    public static AuthException RoleNotGranted() => new(AuthErrorCode.RoleNotGranted, "etcdserver: role is not granted to the user");

    /// <summary>RoleRevokePermission of a permission the role does not hold.</summary>
    public static AuthException PermissionNotGranted() => new(AuthErrorCode.PermissionNotGranted, "etcdserver: permission is not granted to the role");

    /// <summary>Authenticate while auth is off.</summary>
    public static AuthException AuthNotEnabled() => new(AuthErrorCode.AuthNotEnabled, "etcdserver: authentication is not enabled");

    /// <summary>An unknown or expired token.</summary>
    public static AuthException InvalidAuthToken() => new(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token");

    /// <summary>A forbidden change of the root user / role while auth is on, or an invalid permission range.</summary>
    public static AuthException InvalidAuthMgmt() => new(AuthErrorCode.InvalidAuthMgmt, "etcdserver: invalid auth management");
}
