namespace KvCluster.KvServer.Auth;

/// <summary>authpb.Permission.Type.</summary>
public enum PermissionType
{
    Read = 0,
    Write = 1,
    ReadWrite = 2,
}

/// <summary>A key permission: <see cref="RangeEnd"/> empty = the key alone; {0} = every key from <see cref="Key"/> on.</summary>
public sealed record Permission(PermissionType Type, byte[] Key, byte[] RangeEnd);

public sealed record UserInfo(string Name, IReadOnlyList<string> Roles, bool NoPassword);

public sealed record RoleInfo(string Name, IReadOnlyList<Permission> Permissions);

public enum AuthErrorCode
{
    RootUserNotExist,
    RootRoleNotExist,
    UserAlreadyExist,
    UserEmpty,
    UserNotFound,
    RoleAlreadyExist,
    RoleNotFound,
    RoleEmpty,
    AuthFailed,
    PermissionNotGiven,
    PermissionDenied,
    RoleNotGranted,
    PermissionNotGranted,
    AuthNotEnabled,
    InvalidAuthToken,
    InvalidAuthMgmt,
}

/// <summary>An auth error with etcd's exact message (clients match on it); the gRPC edge picks the status code.</summary>
public sealed class AuthException(AuthErrorCode code, string message) : Exception(message)
{
    public AuthErrorCode Code { get; } = code;

    public static AuthException RootUserNotExist() => new(AuthErrorCode.RootUserNotExist, "etcdserver: root user does not exist");
    public static AuthException RootRoleNotExist() => new(AuthErrorCode.RootRoleNotExist, "etcdserver: root user does not have root role");
    public static AuthException UserAlreadyExist() => new(AuthErrorCode.UserAlreadyExist, "etcdserver: user name already exists");
    public static AuthException UserEmpty() => new(AuthErrorCode.UserEmpty, "etcdserver: user name is empty");
    public static AuthException UserNotFound() => new(AuthErrorCode.UserNotFound, "etcdserver: user name not found");
    public static AuthException RoleAlreadyExist() => new(AuthErrorCode.RoleAlreadyExist, "etcdserver: role name already exists");
    public static AuthException RoleNotFound() => new(AuthErrorCode.RoleNotFound, "etcdserver: role name not found");
    public static AuthException RoleEmpty() => new(AuthErrorCode.RoleEmpty, "etcdserver: role name is empty");
    public static AuthException AuthFailed() => new(AuthErrorCode.AuthFailed, "etcdserver: authentication failed, invalid user ID or password");
    public static AuthException PermissionNotGiven() => new(AuthErrorCode.PermissionNotGiven, "etcdserver: permission not given");
    public static AuthException PermissionDenied() => new(AuthErrorCode.PermissionDenied, "etcdserver: permission denied");
    public static AuthException RoleNotGranted() => new(AuthErrorCode.RoleNotGranted, "etcdserver: role is not granted to the user");
    public static AuthException PermissionNotGranted() => new(AuthErrorCode.PermissionNotGranted, "etcdserver: permission is not granted to the role");
    public static AuthException AuthNotEnabled() => new(AuthErrorCode.AuthNotEnabled, "etcdserver: authentication is not enabled");
    public static AuthException InvalidAuthToken() => new(AuthErrorCode.InvalidAuthToken, "etcdserver: invalid auth token");
    public static AuthException InvalidAuthMgmt() => new(AuthErrorCode.InvalidAuthMgmt, "etcdserver: invalid auth management");
}
