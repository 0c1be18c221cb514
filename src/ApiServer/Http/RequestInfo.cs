namespace KvCluster.ApiServer.Http;

/// <summary>
/// What a resource URL names (Kubernetes' RequestInfo): /api/v1/namespaces/ns/pods/name/status →
/// group "", version v1, namespace ns, resource pods, name, subresource status.
/// </summary>
public sealed record RequestInfo(string Group, string Version, string? Namespace, string Resource, string? Name, string? Subresource)
{
    /// <summary>Parses a resource path; null when the path is not one (discovery, health, …).</summary>
    public static RequestInfo? Parse(string path)
    {
        var parts = path.Trim('/').Split('/');
        int next;
        string group;
        string version;
        if (parts.Length >= 3 && parts[0] == "api")
        {
            (group, version, next) = ("", parts[1], 2);
        }
        else if (parts.Length >= 4 && parts[0] == "apis")
        {
            (group, version, next) = (parts[1], parts[2], 3);
        }
        else
        {
            return null;
        }

        var rest = parts[next..];
        if (rest.Any(p => p.Length == 0))
        {
            return null;
        }

        // namespaces/{ns}/{resource}[/{name}[/{sub}]] names namespaced objects; namespaces[/{name}[/{sub}]] the namespaces themselves.
        if (rest[0] == "namespaces" && rest.Length >= 3 && !(rest.Length == 3 && rest[2] is "status" or "finalize"))
        {
            return rest.Length > 5 ? null : new RequestInfo(group, version, rest[1], rest[2], At(rest, 3), At(rest, 4));
        }

        return rest.Length > 3 ? null : new RequestInfo(group, version, null, rest[0], At(rest, 1), At(rest, 2));
    }

    private static string? At(string[] parts, int i) => i < parts.Length ? parts[i] : null;
}
