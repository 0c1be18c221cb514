using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// The fieldValidation query parameter on create, update and patch. Fields that the kind's schema
/// does not know (<see cref="OpenApiSchemas"/>), and fields given twice, are handled by mode:
/// - Strict rejects the request with 400: "Pod in version "v1" cannot be handled as a Pod: strict
///   decoding error: unknown field "spec.foo"".
/// - Warn, the default as in Kubernetes, answers with a Warning header per field.
/// - Ignore says nothing.
/// Unknown fields of built-in kinds are kept, not dropped (the ApiServer core issue asks that); a
/// custom kind's are pruned by its structural schema, as before.
/// </summary>
internal static class FieldValidation
{
    /// <summary>Checks <paramref name="obj"/> (without changing it); throws in Strict mode, warns in Warn mode. <paramref name="duplicates"/>: fields the body gave twice (<see cref="Json.ParseObject"/>).</summary>
    public static void Apply(HttpContext ctx, ResourceKind kind, JsonObject obj, IReadOnlyList<string>? duplicates = null)
    {
        var problems = (duplicates ?? []).Select(d => $"duplicate field \"{d}\"").ToList();
        if (OpenApiSchemas.For(kind) is { } s)
        {
            var unknown = new List<string>();
            Walk(obj, s.Schemas[s.Name] as JsonObject, "", s.Schemas, unknown);
            unknown.Sort(StringComparer.Ordinal);
            problems.AddRange(unknown.Select(u => $"unknown field \"{u}\""));
        }

        if (problems.Count == 0)
        {
            return;
        }

        string mode = ctx.Request.Query["fieldValidation"].ToString();
        if (mode == "Strict")
        {
            throw ApiException.BadRequest($"{kind.Kind} in version \"{kind.Version}\" cannot be handled as a {kind.Kind}: strict decoding error: {string.Join(", ", problems)}");
        }

        if (mode is "" or "Warn")
        {
            foreach (var p in problems)
            {
                ctx.Response.Headers.Append("Warning", $"299 - \"{p.Replace("\"", "\\\"", StringComparison.Ordinal)}\"");
            }
        }
    }

    private static void Walk(JsonNode? node, JsonObject? schema, string path, JsonObject schemas, List<string> unknown)
    {
        schema = Resolve(schema, schemas);
        if (node is null || schema is null || schema["x-kubernetes-preserve-unknown-fields"] is not null)
        {
            return;
        }

        switch (node)
        {
            case JsonObject o when schema["properties"] is JsonObject properties:
                foreach (var key in o.Select(p => p.Key).ToList())
                {
                    string at = path.Length == 0 ? key : $"{path}.{key}";
                    if (properties[key] is JsonObject field)
                    {
                        Walk(o[key], field, at, schemas, unknown);
                    }
                    else
                    {
                        unknown.Add(at);
                    }
                }

                break;
            case JsonObject o when schema["additionalProperties"] is JsonObject values:
                foreach (var (key, value) in o.ToList())
                {
                    Walk(value, values, $"{path}.{key}", schemas, unknown);
                }

                break;
            case JsonArray a when schema["items"] is JsonObject items:
                for (int i = 0; i < a.Count; i++)
                {
                    Walk(a[i], items, $"{path}[{i}]", schemas, unknown);
                }

                break;
        }
    }

    private static JsonObject? Resolve(JsonObject? schema, JsonObject schemas)
    {
        const string Prefix = "#/components/schemas/";
        if (schema?["allOf"] is JsonArray all && all.Count == 1 && all[0]?["$ref"]?.GetValue<string>() is { } r && r.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return schemas[r[Prefix.Length..]] as JsonObject;
        }

        return schema;
    }
}
