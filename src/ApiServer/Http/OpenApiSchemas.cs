using System.Collections;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using k8s.Models;
using KvCluster.ApiServer.Patch;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// OpenAPI v3 component schemas of the built-in kinds, for `kubectl explain` and kubectl's patch
/// logic. They are derived from KubernetesClient's model types (generated from Kubernetes' own
/// OpenAPI) and the documentation shipped with them: fields, types, descriptions, and
/// x-kubernetes-patch-merge-key / x-kubernetes-patch-strategy from the merge keys the server's
/// strategic merge patch uses.
/// </summary>
internal static partial class OpenApiSchemas
{
    private static readonly Lazy<Dictionary<string, string>> Docs = new(LoadDocs);
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, JsonObject> ByModel = new();

    // A custom kind's schema, built once per kind row (a changed CRD brings new rows).
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<ResourceKind, Tuple<JsonObject, string>> ByCustomKind = new();

    /// <summary>The model type of a built-in kind (V1Pod for core/v1 Pod), or null.</summary>
    public static Type? ModelOf(ResourceKind k) =>
        typeof(V1Pod).Assembly.GetType($"k8s.Models.{char.ToUpperInvariant(k.Version[0])}{k.Version[1..]}{k.Kind}");

    /// <summary>Adds the schema of kind <paramref name="k"/> and of every type it refers to; returns its name, or null when the kind has no model.</summary>
    public static string? Add(JsonObject schemas, ResourceKind k)
    {
        if (For(k) is { } custom && k.Schema is not null)
        {
            foreach (var (schemaName, schema) in custom.Schemas)
            {
                schemas[schemaName] ??= schema!.DeepClone();
            }

            return custom.Name;
        }

        if (ModelOf(k) is not { } type)
        {
            return null;
        }

        // Reflection once per model; each document gets copies.
        var own = Of(type);
        foreach (var (schemaName, schema) in own)
        {
            if (!schemas.ContainsKey(schemaName))
            {
                schemas[schemaName] = schema!.DeepClone();
            }
        }

        string name = NameOf(type);
        schemas[name]!["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = k.Group, ["kind"] = k.Kind, ["version"] = k.Version });
        return name;
    }

    /// <summary>The schemas of a built-in kind's model and every type it refers to, and the kind's own schema name; null for kinds without a model. Shared: do not change them.</summary>
    public static (JsonObject Schemas, string Name)? For(ResourceKind k)
    {
        if (k.Schema is { } custom)
        {
            var c = ByCustomKind.GetValue(k, kind => Custom(kind, custom).ToTuple());
            return (c.Item1, c.Item2);
        }

        return ModelOf(k) is { } t ? (Of(t), NameOf(t)) : null;
    }

    /// <summary>A custom kind's schema, with apiVersion, kind and metadata (ObjectMeta) added as Kubernetes publishes them.</summary>
    private static (JsonObject Schemas, string Name) Custom(ResourceKind k, JsonObject openApi)
    {
        var schemas = new JsonObject();
        string meta = NameOf(typeof(V1ObjectMeta));
        foreach (var (n, v) in Of(typeof(V1ObjectMeta)))
        {
            schemas[n] ??= v!.DeepClone();
        }

        var schema = (JsonObject)openApi.DeepClone();
        var properties = schema["properties"] as JsonObject ?? [];
        schema["properties"] = properties;
        properties["apiVersion"] ??= new JsonObject { ["type"] = "string", ["description"] = "APIVersion defines the versioned schema of this representation of an object." };
        properties["kind"] ??= new JsonObject { ["type"] = "string", ["description"] = "Kind is a string value representing the REST resource this object represents." };
        properties["metadata"] = new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/components/schemas/" + meta }) };
        schema["x-kubernetes-group-version-kind"] = new JsonArray(new JsonObject { ["group"] = k.Group, ["kind"] = k.Kind, ["version"] = k.Version });
        string name = string.Join(".", k.Group.Split('.').Reverse()) + $".{k.Version}.{k.Kind}";
        schemas[name] = schema;
        return (schemas, name);
    }

    private static JsonObject Of(Type type) => ByModel.GetOrAdd(type, t =>
    {
        var built = new JsonObject();
        AddType(built, t);
        return built;
    });

    /// <summary>A Kubernetes-style schema name: io.k8s.api.v1.PodSpec (io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta for the meta types).</summary>
    public static string NameOf(Type t)
    {
        var m = VersionPrefix().Match(t.Name);
        string version = m.Success ? m.Groups[1].Value.ToLowerInvariant() : "";
        string rest = m.Success ? t.Name[m.Length..] : t.Name;
        bool meta = t.Name is "V1ObjectMeta" or "V1ListMeta" or "V1OwnerReference" or "V1ManagedFieldsEntry" or "V1LabelSelector" or "V1LabelSelectorRequirement" or "V1Condition" or "V1Status" or "V1StatusDetails" or "V1StatusCause";
        return meta ? $"io.k8s.apimachinery.pkg.apis.meta.{version}.{rest}" : $"io.k8s.api.{version}.{rest}";
    }

    private static string AddType(JsonObject schemas, Type t)
    {
        string name = NameOf(t);
        if (schemas.ContainsKey(name))
        {
            return name;
        }

        var schema = new JsonObject { ["type"] = "object" };
        if (Doc("T:" + t.FullName) is { } d)
        {
            schema["description"] = d;
        }

        // Registered before its fields: types refer to themselves (JSONSchemaProps).
        schemas[name] = schema;
        var properties = new JsonObject();
        bool inContainer = t.Name.EndsWith("Container", StringComparison.Ordinal);
        foreach (var p in t.GetProperties(BindingFlags.Public | BindingFlags.Instance).OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            if (p.GetCustomAttribute<JsonIgnoreAttribute>() is not null)
            {
                continue;
            }

            string json = p.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name ?? char.ToLowerInvariant(p.Name[0]) + p.Name[1..];
            var field = FieldSchema(schemas, p.PropertyType);
            if (Doc($"P:{t.FullName}.{p.Name}") is { } pd)
            {
                field["description"] = pd;
            }

            if (field["type"]?.GetValue<string>() == "array")
            {
                if (StrategicMergePatch.MergeKey(json, inContainer ? "containers" : "") is { } key)
                {
                    field["x-kubernetes-patch-merge-key"] = key;
                    field["x-kubernetes-patch-strategy"] = "merge";
                }
                else if (StrategicMergePatch.MergesAsSet(json))
                {
                    field["x-kubernetes-patch-strategy"] = "merge";
                }
            }

            properties[json] = field;
        }

        schema["properties"] = properties;
        return name;
    }

    private static JsonObject FieldSchema(JsonObject schemas, Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string))
        {
            return new JsonObject { ["type"] = "string" };
        }

        if (t == typeof(bool))
        {
            return new JsonObject { ["type"] = "boolean" };
        }

        if (t == typeof(int) || t == typeof(long))
        {
            return new JsonObject { ["type"] = "integer", ["format"] = t == typeof(int) ? "int32" : "int64" };
        }

        if (t == typeof(double) || t == typeof(float) || t == typeof(decimal))
        {
            return new JsonObject { ["type"] = "number", ["format"] = "double" };
        }

        if (t == typeof(DateTime) || t == typeof(DateTimeOffset))
        {
            return new JsonObject { ["type"] = "string", ["format"] = "date-time" };
        }

        if (t == typeof(byte[]))
        {
            return new JsonObject { ["type"] = "string", ["format"] = "byte" };
        }

        if (t == typeof(IntOrString))
        {
            return new JsonObject { ["x-kubernetes-int-or-string"] = true, ["anyOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" }) };
        }

        if (t == typeof(ResourceQuantity))
        {
            return new JsonObject { ["type"] = "string", ["description"] = "Quantity is a fixed-point representation of a number (\"100m\", \"2Gi\")." };
        }

        if (Dictionary(t) is { } value)
        {
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = FieldSchema(schemas, value) };
        }

        if (t != typeof(string) && typeof(IEnumerable).IsAssignableFrom(t) && Element(t) is { } item)
        {
            return new JsonObject { ["type"] = "array", ["items"] = FieldSchema(schemas, item) };
        }

        if (t.Namespace == "k8s.Models" && t.IsClass)
        {
            return new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = "#/components/schemas/" + AddType(schemas, t) }), ["default"] = new JsonObject() };
        }

        return new JsonObject { ["type"] = "object", ["x-kubernetes-preserve-unknown-fields"] = true };
    }

    private static Type? Dictionary(Type t) =>
        (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(IDictionary<,>) ? t : t.GetInterfaces().FirstOrDefault(i => i.IsGenericType && i.GetGenericTypeDefinition() == typeof(IDictionary<,>))) is { } d
        && d.GetGenericArguments()[0] == typeof(string)
            ? d.GetGenericArguments()[1]
            : null;

    private static Type? Element(Type t) =>
        t.IsArray ? t.GetElementType() : t.IsGenericType && t.GetGenericArguments() is [var e] ? e : null;

    private static string? Doc(string member) => Docs.Value.GetValueOrDefault(member);

    /// <summary>Member summaries from KubernetesClient.xml next to its assembly.</summary>
    private static Dictionary<string, string> LoadDocs()
    {
        var docs = new Dictionary<string, string>(StringComparer.Ordinal);
        string path = Path.ChangeExtension(typeof(V1Pod).Assembly.Location, ".xml");
        if (!File.Exists(path))
        {
            return docs;
        }

        foreach (var m in XDocument.Load(path).Descendants("member"))
        {
            if (m.Attribute("name")?.Value is { } name && m.Element("summary")?.Value is { } summary)
            {
                docs[name] = Spaces().Replace(summary, " ").Trim();
            }
        }

        return docs;
    }

    [GeneratedRegex(@"^V(\d+(?:alpha\d+|beta\d+)?)")]
    private static partial Regex VersionPrefix();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();
}
