using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// API discovery, both forms kubectl 1.32 knows: aggregated (one document for /api and one for /apis,
/// Content-Type application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList) and legacy
/// (/api, /apis, /api/v1, /apis/&lt;group&gt;, /apis/&lt;group&gt;/&lt;version&gt;).
/// </summary>
internal sealed class Discovery(Func<IReadOnlyList<ResourceKind>> served)
{
    /// <summary>The kinds served now (CustomResourceDefinitions add and remove some).</summary>
    private IReadOnlyList<ResourceKind> Kinds => served();

    public const string AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";

    /// <summary>Groups in the order they are listed, each with its versions, preferred first.</summary>
    private IEnumerable<(string Group, List<string> Versions)> Groups() =>
        Kinds.Where(k => k.Group.Length > 0)
            .GroupBy(k => k.Group)
            .Select(g => (g.Key, g.Select(k => k.Version).Distinct().ToList()));

    public static bool WantsAggregated(string? accept) =>
        accept is not null && accept.Contains("as=APIGroupDiscoveryList", StringComparison.Ordinal) && accept.Contains("v=v2", StringComparison.Ordinal)
        && accept.Split(',')[0].Contains("apidiscovery.k8s.io", StringComparison.Ordinal);

    public JsonObject Aggregated(bool core)
    {
        var items = new JsonArray();
        if (core)
        {
            items.Add(GroupEntry("", ["v1"]));
        }
        else
        {
            foreach (var (group, versions) in Groups())
            {
                items.Add(GroupEntry(group, versions));
            }
        }

        return new JsonObject { ["kind"] = "APIGroupDiscoveryList", ["apiVersion"] = "apidiscovery.k8s.io/v2", ["metadata"] = new JsonObject(), ["items"] = items };
    }

    private JsonObject GroupEntry(string group, List<string> versions)
    {
        var versionList = new JsonArray();
        foreach (var v in versions)
        {
            var resources = new JsonArray();
            foreach (var k in Kinds.Where(k => k.Group == group && k.Version == v))
            {
                var r = new JsonObject
                {
                    ["resource"] = k.Plural,
                    ["responseKind"] = Gvk(k, k.Kind),
                    ["scope"] = k.Namespaced ? "Namespaced" : "Cluster",
                    ["singularResource"] = k.Singular,
                    ["verbs"] = Strings(k.Verbs),
                };
                if (k.ShortNames.Count > 0)
                {
                    r["shortNames"] = Strings(k.ShortNames);
                }

                if (k.Categories.Count > 0)
                {
                    r["categories"] = Strings(k.Categories);
                }

                if (k.Subresources.Count > 0)
                {
                    var subs = new JsonArray();
                    foreach (var s in k.Subresources)
                    {
                        subs.Add(new JsonObject
                        {
                            ["subresource"] = s,
                            ["responseKind"] = s == "scale" ? new JsonObject { ["group"] = "autoscaling", ["version"] = "v1", ["kind"] = "Scale" } : Gvk(k, SubresourceKind(k, s)),
                            ["verbs"] = Strings(SubresourceVerbs(s)),
                        });
                    }

                    r["subresources"] = subs;
                }

                resources.Add(r);
            }

            versionList.Add(new JsonObject { ["version"] = v, ["resources"] = resources, ["freshness"] = "Current" });
        }

        return new JsonObject { ["metadata"] = new JsonObject { ["name"] = group, ["creationTimestamp"] = null }, ["versions"] = versionList };
    }

    public static JsonObject ApiVersions(string serverAddress) => new()
    {
        ["kind"] = "APIVersions",
        ["versions"] = new JsonArray("v1"),
        ["serverAddressByClientCIDRs"] = new JsonArray(new JsonObject { ["clientCIDR"] = "0.0.0.0/0", ["serverAddress"] = serverAddress }),
    };

    public JsonObject GroupList()
    {
        var groups = new JsonArray();
        foreach (var (group, versions) in Groups())
        {
            groups.Add(Group(group, versions));
        }

        return new JsonObject { ["kind"] = "APIGroupList", ["apiVersion"] = "v1", ["groups"] = groups };
    }

    public JsonObject? GroupDocument(string group)
    {
        var entry = Groups().FirstOrDefault(g => g.Group == group);
        if (entry.Group is null)
        {
            return null;
        }

        var doc = Group(entry.Group, entry.Versions);
        doc["kind"] = "APIGroup";
        doc["apiVersion"] = "v1";
        return doc;
    }

    private static JsonObject Group(string group, List<string> versions)
    {
        var list = new JsonArray();
        foreach (var v in versions)
        {
            list.Add(new JsonObject { ["groupVersion"] = $"{group}/{v}", ["version"] = v });
        }

        return new JsonObject
        {
            ["name"] = group,
            ["versions"] = list,
            ["preferredVersion"] = new JsonObject { ["groupVersion"] = $"{group}/{versions[0]}", ["version"] = versions[0] },
        };
    }

    /// <summary>The legacy APIResourceList of one group-version, or null when none is served.</summary>
    public JsonObject? ResourceList(string group, string version)
    {
        var served = Kinds.Where(k => k.Group == group && k.Version == version).ToList();
        if (served.Count == 0)
        {
            return null;
        }

        var resources = new JsonArray();
        foreach (var k in served)
        {
            var r = new JsonObject
            {
                ["name"] = k.Plural,
                ["singularName"] = k.Singular,
                ["namespaced"] = k.Namespaced,
                ["kind"] = k.Kind,
                ["verbs"] = Strings(k.Verbs),
            };
            if (k.ShortNames.Count > 0)
            {
                r["shortNames"] = Strings(k.ShortNames);
            }

            if (k.Categories.Count > 0)
            {
                r["categories"] = Strings(k.Categories);
            }

            resources.Add(r);
            foreach (var s in k.Subresources)
            {
                resources.Add(new JsonObject
                {
                    ["name"] = $"{k.Plural}/{s}",
                    ["singularName"] = "",
                    ["namespaced"] = k.Namespaced,
                    ["kind"] = SubresourceKind(k, s),
                    ["verbs"] = Strings(SubresourceVerbs(s)),
                });
            }
        }

        return new JsonObject { ["kind"] = "APIResourceList", ["apiVersion"] = "v1", ["groupVersion"] = served[0].GroupVersion, ["resources"] = resources };
    }

    /// <summary>The kind a subresource answers with, as kube-apiserver lists it (pods/exec answers PodExecOptions).</summary>
    private static string SubresourceKind(ResourceKind k, string s) => s switch
    {
        "scale" => "Scale",
        "binding" => "Binding",
        "exec" => "PodExecOptions",
        "attach" => "PodAttachOptions",
        "portforward" => "PodPortForwardOptions",
        _ => k.Kind,
    };

    private static string[] SubresourceVerbs(string s) => s switch
    {
        "finalize" => ["update"],
        "binding" => ["create"],
        "log" => ["get"],
        "exec" or "attach" or "portforward" => ["create", "get"],
        _ => ["get", "patch", "update"],
    };

    private static JsonObject Gvk(ResourceKind k, string kind) => new() { ["group"] = k.Group, ["version"] = k.Version, ["kind"] = kind };

    private static JsonArray Strings(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode?)v)]);
}
