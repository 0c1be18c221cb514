using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry.Crd;

public sealed partial class StructuralSchema
{
    /// <summary>
    /// Why an openAPIV3Schema is not structural, as "path: message" lines with paths relative to the schema
    /// (a CRD prefixes them with spec.versions[i].schema.openAPIV3Schema). A subset of apiextensions-apiserver's
    /// checks: a type on every node (unless x-kubernetes-preserve-unknown-fields or x-kubernetes-int-or-string),
    /// object at the root, items for arrays, properties and additionalProperties not both.
    /// </summary>
    public static IReadOnlyList<string> Problems(JsonObject openApiV3Schema)
    {
        ArgumentNullException.ThrowIfNull(openApiV3Schema);
        var problems = new List<string>();
        CheckNode(openApiV3Schema, "", "at the root", problems);
        if (openApiV3Schema["type"] is JsonValue tv && tv.TryGetValue(out string? t) && t.Length > 0 && t != "object")
        {
            problems.Add($"type: Invalid value: \"{t}\": must be object at the root");
        }

        return problems;
    }

    private static void CheckNode(JsonObject node, string path, string where, List<string> problems)
    {
        var type = node["type"] is JsonValue tv && tv.TryGetValue(out string? t) ? t : "";
        if (type.Length == 0 && !Bool(node, "x-kubernetes-preserve-unknown-fields") && !Bool(node, "x-kubernetes-int-or-string"))
        {
            problems.Add($"{Sub(path, "type")}: Required value: must not be empty {where}");
        }

        if (type == "array" && node["items"] is not JsonObject)
        {
            problems.Add($"{Sub(path, "items")}: Required value: must be specified");
        }

        if (node["properties"] is JsonObject props)
        {
            if (node["additionalProperties"] is not null)
            {
                problems.Add($"{Sub(path, "additionalProperties")}: Forbidden: additionalProperties and properties are mutual exclusive");
            }

            foreach (var (name, child) in props)
            {
                if (child is JsonObject co)
                {
                    CheckNode(co, Sub(path, $"properties[{name}]"), "for specified object fields", problems);
                }
            }
        }

        if (node["additionalProperties"] is JsonObject ap)
        {
            CheckNode(ap, Sub(path, "additionalProperties"), "for specified additionalProperties", problems);
        }

        if (node["items"] is JsonObject items)
        {
            CheckNode(items, Sub(path, "items"), "for specified array items", problems);
        }
    }

    private static string Sub(string path, string name) => path.Length == 0 ? name : path + "." + name;
}
