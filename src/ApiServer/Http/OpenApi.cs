using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// /openapi/v3: the root lists one document per group-version; each document describes the
/// operations on every kind of it, with x-kubernetes-group-version-kind and the query parameters
/// (kubectl looks for fieldValidation there to know that the server validates fields itself), and
/// the component schemas of the built-in kinds (<see cref="OpenApiSchemas"/>) that `kubectl explain`
/// reads.
/// </summary>
internal sealed class OpenApi(Func<IReadOnlyList<ResourceKind>> served)
{
    /// <summary>The kinds served now (CustomResourceDefinitions add and remove some).</summary>
    private IReadOnlyList<ResourceKind> Kinds => served();

    private static readonly string[] Parameters = ["dryRun", "fieldManager", "fieldValidation", "pretty"];

    public JsonObject Root()
    {
        var paths = new JsonObject();
        foreach (var gv in Kinds.Select(k => k.PathPrefix).Distinct())
        {
            var rel = gv.TrimStart('/');
            paths[rel] = new JsonObject { ["serverRelativeURL"] = $"/openapi/v3/{rel}?hash={Hash(rel)}" };
        }

        return new JsonObject { ["paths"] = paths };
    }

    /// <summary>The document of "api/v1" or "apis/apps/v1", or null when no such group-version is served.</summary>
    public JsonObject? Document(string groupVersionPath)
    {
        var served = Kinds.Where(k => k.PathPrefix.TrimStart('/') == groupVersionPath).ToList();
        if (served.Count == 0)
        {
            return null;
        }

        var paths = new JsonObject();
        var schemas = new JsonObject();
        foreach (var k in served)
        {
            OpenApiSchemas.Add(schemas, k);
            var item = k.Namespaced ? $"{k.PathPrefix}/namespaces/{{namespace}}/{k.Plural}/{{name}}" : $"{k.PathPrefix}/{k.Plural}/{{name}}";
            var collection = item[..item.LastIndexOf('/')];
            paths[collection] = new JsonObject { ["post"] = Operation(k, "post"), ["get"] = Operation(k, "list") };
            paths[item] = new JsonObject { ["get"] = Operation(k, "get"), ["put"] = Operation(k, "put"), ["patch"] = Operation(k, "patch"), ["delete"] = Operation(k, "delete") };
        }

        return new JsonObject
        {
            ["openapi"] = "3.0.0",
            ["info"] = new JsonObject { ["title"] = "Kubernetes", ["version"] = Version.GitVersion },
            ["paths"] = paths,
            ["components"] = new JsonObject { ["schemas"] = schemas },
        };
    }

    private static JsonObject Operation(ResourceKind k, string action)
    {
        var parameters = new JsonArray();
        if (action is "post" or "put" or "patch")
        {
            foreach (var p in Parameters)
            {
                parameters.Add(new JsonObject { ["name"] = p, ["in"] = "query", ["schema"] = new JsonObject { ["type"] = "string", ["uniqueItems"] = true } });
            }
        }

        return new JsonObject
        {
            ["operationId"] = action + k.Kind,
            ["parameters"] = parameters,
            ["x-kubernetes-action"] = action,
            ["x-kubernetes-group-version-kind"] = new JsonObject { ["group"] = k.Group, ["version"] = k.Version, ["kind"] = k.Kind },
        };
    }

    private static string Hash(string s) => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(s + Version.GitVersion)))[..16];
}
