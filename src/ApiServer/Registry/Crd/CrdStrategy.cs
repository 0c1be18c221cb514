using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry.Crd;

/// <summary>
/// CustomResourceDefinitions themselves: the cleanup finalizer on create (so that deleting a CRD
/// first deletes its objects), and the checks of apiextensions' validation that decide what is served.
/// </summary>
internal sealed class CrdStrategy : IKindStrategy
{
    public const string CleanupFinalizer = "customresourcecleanup.apiextensions.k8s.io";

    public void PrepareForCreate(JsonObject obj)
    {
        var meta = (JsonObject)obj["metadata"]!;
        var finalizers = meta["finalizers"] as JsonArray ?? [];
        if (!finalizers.Any(f => f?.GetValue<string>() == CleanupFinalizer))
        {
            finalizers.Add(CleanupFinalizer);
        }

        meta["finalizers"] = finalizers;
        obj["status"] = new JsonObject();
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old)
    {
        var spec = obj["spec"] as JsonObject;
        var group = spec?["group"]?.GetValue<string>() ?? "";
        var names = spec?["names"] as JsonObject;
        var plural = names?["plural"]?.GetValue<string>() ?? "";
        var kind = names?["kind"]?.GetValue<string>() ?? "";
        var name = obj["metadata"]?["name"]?.GetValue<string>() ?? "";
        if (group.Length == 0)
        {
            yield return FieldError.Required("spec.group");
        }
        else if (!group.Contains('.', StringComparison.Ordinal))
        {
            yield return FieldError.InvalidValue("spec.group", group, "should be a domain with at least one dot");
        }

        if (plural.Length == 0)
        {
            yield return FieldError.Required("spec.names.plural");
        }
        else if (NameRules.CheckLabel(plural) is { } why)
        {
            yield return FieldError.InvalidValue("spec.names.plural", plural, why);
        }

        if (kind.Length == 0)
        {
            yield return FieldError.Required("spec.names.kind");
        }

        if (plural.Length > 0 && group.Length > 0 && name != $"{plural}.{group}")
        {
            yield return FieldError.InvalidValue("metadata.name", name, "must be spec.names.plural+\".\"+spec.group");
        }

        var scope = spec?["scope"]?.GetValue<string>();
        if (scope is not ("Cluster" or "Namespaced"))
        {
            yield return scope is null ? FieldError.Required("spec.scope") : new FieldError("spec.scope", "FieldValueNotSupported", "supported values: \"Cluster\", \"Namespaced\"", scope);
        }

        var versions = spec?["versions"] as JsonArray ?? [];
        if (versions.Count == 0)
        {
            yield return FieldError.Required("spec.versions", "must have exactly one version marked as storage version");
        }
        else if (versions.Count(v => v?["storage"]?.GetValue<bool>() == true) != 1)
        {
            yield return FieldError.InvalidValue("spec.versions", $"{versions.Count(v => v?["storage"]?.GetValue<bool>() == true)}", "must have exactly one version marked as storage version");
        }

        for (var i = 0; i < versions.Count; i++)
        {
            if (versions[i]?["name"]?.GetValue<string>() is not { Length: > 0 })
            {
                yield return FieldError.Required($"spec.versions[{i}].name");
            }

            if (versions[i]?["schema"]?["openAPIV3Schema"] is not JsonObject)
            {
                yield return FieldError.Required($"spec.versions[{i}].schema.openAPIV3Schema", "schemas are required");
            }
        }

        if (old is not null && old["spec"]?["group"]?.GetValue<string>() is { } oldGroup && oldGroup != group)
        {
            yield return FieldError.Immutable("spec.group", group);
        }
    }
}
