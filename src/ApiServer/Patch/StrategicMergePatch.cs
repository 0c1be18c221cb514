using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Patch;

/// <summary>
/// Strategic merge patch (application/strategic-merge-patch+json) for the built-in kinds: like a
/// merge patch, except that lists with a merge key merge element by element (containers by name,
/// ports by containerPort, env by name, …), and the directives $patch (replace, delete, merge),
/// $retainKeys, $setElementOrder/&lt;list&gt; and $deleteFromPrimitiveList/&lt;list&gt; are honoured. The
/// merge keys are Kubernetes' patchMergeKey tags of the fields, keyed here by field name (and, for
/// "ports", by where the list is).
/// </summary>
public static class StrategicMergePatch
{
    private static readonly Dictionary<string, string> MergeKeys = new()
    {
        ["containers"] = "name",
        ["initContainers"] = "name",
        ["ephemeralContainers"] = "name",
        ["env"] = "name",
        ["volumes"] = "name",
        ["volumeMounts"] = "mountPath",
        ["volumeDevices"] = "devicePath",
        ["imagePullSecrets"] = "name",
        ["hostAliases"] = "ip",
        ["conditions"] = "type",
        ["ownerReferences"] = "uid",
        ["topologySpreadConstraints"] = "topologyKey",
        ["resourceClaims"] = "name",
        ["taints"] = "key",
        ["addresses"] = "type",
        ["schedulingGates"] = "name",
        ["resizePolicy"] = "resourceName",
    };

    /// <summary>Lists of strings that merge as sets (patchStrategy "merge" on a primitive list).</summary>
    private static readonly HashSet<string> MergedPrimitiveLists = ["finalizers"];

    public static JsonObject Apply(JsonObject original, JsonObject patch) => MergeObject(original, patch, "");

    /// <summary>The merge key of the list <paramref name="field"/> inside an element of <paramref name="parentField"/> (null: the list is replaced whole).</summary>
    public static string? MergeKey(string field, string parentField) =>
        field == "ports" ? (parentField is "containers" or "initContainers" or "ephemeralContainers" ? "containerPort" : "port") : MergeKeys.GetValueOrDefault(field);

    /// <summary>Whether the list of strings <paramref name="field"/> merges as a set.</summary>
    public static bool MergesAsSet(string field) => MergedPrimitiveLists.Contains(field);

    private static JsonObject MergeObject(JsonObject original, JsonObject patch, string parentField)
    {
        if (patch["$patch"]?.GetValue<string>() is { } directive)
        {
            switch (directive)
            {
                case "replace":
                    var replacement = (JsonObject)patch.DeepClone();
                    replacement.Remove("$patch");
                    return replacement;
                case "merge":
                    break;
                case "delete":
                    // Only reachable at the top level: a nested "$patch: delete" is handled by the parent.
                    return [];
                default:
                    throw ApiException.BadRequest($"Unknown patch type: {directive} in map: {patch.ToJsonString()}");
            }
        }

        if (patch["$retainKeys"] is JsonArray retain)
        {
            var keep = retain.Select(k => k?.GetValue<string>()).ToHashSet();
            foreach (var key in original.Select(p => p.Key).Where(k => !keep.Contains(k)).ToList())
            {
                original.Remove(key);
            }
        }

        foreach (var (key, value) in patch)
        {
            if (key is "$patch" or "$retainKeys" || key.StartsWith("$setElementOrder/", StringComparison.Ordinal))
            {
                continue;
            }

            if (key.StartsWith("$deleteFromPrimitiveList/", StringComparison.Ordinal))
            {
                var field = key["$deleteFromPrimitiveList/".Length..];
                if (original[field] is JsonArray list && value is JsonArray gone)
                {
                    foreach (var item in list.Where(i => gone.Any(g => JsonNode.DeepEquals(g, i))).ToList())
                    {
                        list.Remove(item);
                    }
                }

                continue;
            }

            if (value is null || (value is JsonObject d && d["$patch"]?.GetValue<string>() == "delete"))
            {
                original.Remove(key);
                continue;
            }

            var current = original[key];
            JsonNode? merged = (current, value) switch
            {
                (JsonObject o, JsonObject p) => MergeObject(o, p, key),
                (JsonArray o, JsonArray p) => MergeList(o, p, key, parentField),
                (_, JsonObject p) => MergeObject([], p, key),
                (_, JsonArray p) => MergeList([], p, key, parentField),
                _ => value.DeepClone(),
            };
            original.Remove(key);
            original[key] = merged;
        }

        return original;
    }

    private static JsonArray MergeList(JsonArray original, JsonArray patch, string field, string parentField)
    {
        if (patch.Any(e => e is JsonObject o && o["$patch"]?.GetValue<string>() == "replace"))
        {
            return new JsonArray([.. patch.Where(e => !(e is JsonObject o && o["$patch"] is not null)).Select(e => e?.DeepClone())]);
        }

        var mergeKey = MergeKey(field, parentField);
        if (MergedPrimitiveLists.Contains(field))
        {
            var union = new JsonArray([.. original.Select(e => e?.DeepClone())]);
            foreach (var item in patch.Where(p => !union.Any(u => JsonNode.DeepEquals(u, p))))
            {
                union.Add(item?.DeepClone());
            }

            return union;
        }

        if (mergeKey is null)
        {
            // No merge key: the list is replaced, as with a merge patch.
            return new JsonArray([.. patch.Select(e => e?.DeepClone())]);
        }

        var result = new JsonArray([.. original.Select(e => e?.DeepClone())]);
        foreach (var element in patch.OfType<JsonObject>())
        {
            var key = element[mergeKey];
            var existing = result.OfType<JsonObject>().FirstOrDefault(e => JsonNode.DeepEquals(e[mergeKey], key)
                && (field != "ports" || JsonNode.DeepEquals(e["protocol"] ?? "TCP", element["protocol"] ?? "TCP")));
            if (element["$patch"]?.GetValue<string>() == "delete")
            {
                if (existing is not null)
                {
                    result.Remove(existing);
                }

                continue;
            }

            if (existing is null)
            {
                var added = (JsonObject)element.DeepClone();
                added.Remove("$patch");
                result.Add(added);
            }
            else
            {
                var index = result.IndexOf(existing);
                var merged = MergeObject((JsonObject)existing.DeepClone(), element, field);
                result[index] = merged;
            }
        }

        return result;
    }
}
