using Google.Protobuf;
using Grpc.Core;
using KvCluster.Kv;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Auth;
using KvCluster.KvServer.Hosting;
using AuthPb = KvCluster.KvServer.Api.AuthPb;

namespace KvCluster.KvServer.Rpc;

/// <summary>etcd's Auth service over <see cref="AuthStore"/>. Every call but Authenticate, AuthEnable and AuthStatus needs the root role once auth is on.</summary>
public sealed class AuthService(IKv kv, LocalMember member, AuthStore auth, Config.ServerConfig config) : Api.Auth.AuthBase
{
    /// <summary>
    /// Users, roles and the auth switch live in each member's own file, not in the Raft log: in a
    /// cluster a change would reach one member only, so it is refused rather than half applied.
    /// </summary>
    private void RequireReplicable()
    {
        if (config.Clustered)
        {
            throw new RpcException(new Status(StatusCode.Unimplemented,
                "etcdserver: changing auth (users, roles, enable/disable) is not supported in a multi-member cluster yet: auth state is not replicated"));
        }
    }

    public override Task<AuthEnableResponse> AuthEnable(AuthEnableRequest request, ServerCallContext context)
    {
        RequireReplicable();
        auth.Enable();
        return Done(new AuthEnableResponse { Header = Header() });
    }

    public override Task<AuthDisableResponse> AuthDisable(AuthDisableRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        auth.Disable();
        return Done(new AuthDisableResponse { Header = Header() });
    }

    public override Task<AuthStatusResponse> AuthStatus(AuthStatusRequest request, ServerCallContext context) =>
        Done(new AuthStatusResponse { Header = Header(), Enabled = auth.Enabled, AuthRevision = (ulong)auth.Revision });

    public override Task<AuthenticateResponse> Authenticate(AuthenticateRequest request, ServerCallContext context) =>
        Done(new AuthenticateResponse { Header = Header(), Token = auth.Authenticate(request.Name, request.Password) });

    public override Task<AuthUserAddResponse> UserAdd(AuthUserAddRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        auth.UserAdd(request.Name, request.Password, request.Options?.NoPassword ?? false);
        return Done(new AuthUserAddResponse { Header = Header() });
    }

    public override Task<AuthUserGetResponse> UserGet(AuthUserGetRequest request, ServerCallContext context)
    {
        Admin(context);
        var response = new AuthUserGetResponse { Header = Header() };
        response.Roles.AddRange(auth.UserGet(request.Name).Roles);
        return Done(response);
    }

    public override Task<AuthUserListResponse> UserList(AuthUserListRequest request, ServerCallContext context)
    {
        Admin(context);
        var response = new AuthUserListResponse { Header = Header() };
        response.Users.AddRange(auth.UserList());
        return Done(response);
    }

    public override Task<AuthUserDeleteResponse> UserDelete(AuthUserDeleteRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        auth.UserDelete(request.Name);
        return Done(new AuthUserDeleteResponse { Header = Header() });
    }

    public override Task<AuthUserChangePasswordResponse> UserChangePassword(AuthUserChangePasswordRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        auth.UserChangePassword(request.Name, request.Password);
        return Done(new AuthUserChangePasswordResponse { Header = Header() });
    }

    public override Task<AuthUserGrantRoleResponse> UserGrantRole(AuthUserGrantRoleRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        auth.UserGrantRole(request.User, request.Role);
        return Done(new AuthUserGrantRoleResponse { Header = Header() });
    }

    public override Task<AuthUserRevokeRoleResponse> UserRevokeRole(AuthUserRevokeRoleRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        auth.UserRevokeRole(request.Name, request.Role);
        return Done(new AuthUserRevokeRoleResponse { Header = Header() });
    }

    public override Task<AuthRoleAddResponse> RoleAdd(AuthRoleAddRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        auth.RoleAdd(request.Name);
        return Done(new AuthRoleAddResponse { Header = Header() });
    }

    public override Task<AuthRoleGetResponse> RoleGet(AuthRoleGetRequest request, ServerCallContext context)
    {
        Admin(context);
        var response = new AuthRoleGetResponse { Header = Header() };
        foreach (var p in auth.RoleGet(request.Role).Permissions)
        {
            response.Perm.Add(new AuthPb.Permission
            {
                PermType = (AuthPb.Permission.Types.Type)p.Type,
                Key = ByteString.CopyFrom(p.Key),
                RangeEnd = ByteString.CopyFrom(p.RangeEnd),
            });
        }

        return Done(response);
    }

    public override Task<AuthRoleListResponse> RoleList(AuthRoleListRequest request, ServerCallContext context)
    {
        Admin(context);
        var response = new AuthRoleListResponse { Header = Header() };
        response.Roles.AddRange(auth.RoleList());
        return Done(response);
    }

    public override Task<AuthRoleDeleteResponse> RoleDelete(AuthRoleDeleteRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        auth.RoleDelete(request.Role);
        return Done(new AuthRoleDeleteResponse { Header = Header() });
    }

    public override Task<AuthRoleGrantPermissionResponse> RoleGrantPermission(AuthRoleGrantPermissionRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        if (request.Perm is null)
        {
            throw new AuthException(AuthErrorCode.PermissionNotGiven, "etcdserver: permission not given");
        }

        auth.RoleGrantPermission(request.Name, new Permission((PermissionType)request.Perm.PermType, request.Perm.Key.ToByteArray(), request.Perm.RangeEnd.ToByteArray()));
        return Done(new AuthRoleGrantPermissionResponse { Header = Header() });
    }

    public override Task<AuthRoleRevokePermissionResponse> RoleRevokePermission(AuthRoleRevokePermissionRequest request, ServerCallContext context)
    {
        RequireReplicable();
        Admin(context);
        auth.RoleRevokePermission(request.Role, request.Key.ToByteArray(), request.RangeEnd.ToByteArray());
        return Done(new AuthRoleRevokePermissionResponse { Header = Header() });
    }

    private void Admin(ServerCallContext context) => auth.CheckAdmin(auth.UserOf(context));

    private ResponseHeader Header() => member.Header(kv.Revision);

    private static Task<T> Done<T>(T response) => Task.FromResult(response);
}
