using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Printing;

/// <summary>
/// Null-tolerant reads from an object's JSON for the printers. A missing field, a JSON null and a
/// value of another type all read as absent: the printers treat them as Go treats unset fields.
/// </summary>
internal static class JsonRead
{
    /// <summary>The node at <paramref name="path"/> (object keys), or null when any step is missing.</summary>
    public static JsonNode? At(JsonNode? node, params ReadOnlySpan<string> path)
    {
        foreach (var key in path)
        {
            if (node is not JsonObject obj || !obj.TryGetPropertyValue(key, out node))
            {
                return null;
            }
        }

        return node;
    }

    public static JsonObject? Obj(JsonNode? node, params ReadOnlySpan<string> path) => At(node, path) as JsonObject;

    public static string? Str(JsonNode? node, params ReadOnlySpan<string> path) =>
        At(node, path) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>The string at <paramref name="path"/>, or "" when absent (Go's zero value).</summary>
    public static string Text(JsonNode? node, params ReadOnlySpan<string> path) => Str(node, path) ?? "";

    public static long? Long(JsonNode? node, params ReadOnlySpan<string> path)
    {
        if (At(node, path) is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
        {
            return null;
        }

        if (v.TryGetValue(out long l))
        {
            return l;
        }

        if (v.TryGetValue(out int i))
        {
            return i;
        }

        // Nodes built in code rather than parsed hold the CLR number itself, of whatever type.
        return double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? (long)d : null;
    }

    public static bool? Bool(JsonNode? node, params ReadOnlySpan<string> path) =>
        At(node, path)?.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        };

    /// <summary>The objects of the array at <paramref name="path"/>; empty when there is no array.</summary>
    public static IReadOnlyList<JsonObject> Items(JsonNode? node, params ReadOnlySpan<string> path) =>
        At(node, path) is JsonArray a ? a.OfType<JsonObject>().ToList() : [];

    /// <summary>The strings of the array at <paramref name="path"/>; empty when there is no array.</summary>
    public static IReadOnlyList<string> Strings(JsonNode? node, params ReadOnlySpan<string> path) =>
        At(node, path) is JsonArray a ? a.Select(e => Str(e)).OfType<string>().ToList() : [];

    /// <summary>The entries of the map at <paramref name="path"/> (labels, selectors, resource lists) as text; empty when absent.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Map(JsonNode? node, params ReadOnlySpan<string> path) =>
        At(node, path) is JsonObject o
            ? o.Select(p => new KeyValuePair<string, string>(p.Key, Quantity(p.Value) ?? "")).ToList()
            : [];

    /// <summary>
    /// A resource quantity as text ("500m", "1Gi"), or null when absent. The API serializes quantities
    /// as strings, but a stored object may hold a bare number ("pods: 10"), which prints as written.
    /// </summary>
    public static string? Quantity(JsonNode? node, params ReadOnlySpan<string> path) =>
        At(node, path) is JsonValue v
            ? v.GetValueKind() switch
            {
                JsonValueKind.String => v.GetValue<string>(),
                JsonValueKind.Number => v.ToJsonString(),
                _ => null,
            }
            : null;

    /// <summary>How many entries the map or array at <paramref name="path"/> has; 0 when absent.</summary>
    public static int Count(JsonNode? node, params ReadOnlySpan<string> path) =>
        At(node, path) switch
        {
            JsonObject o => o.Count,
            JsonArray a => a.Count,
            _ => 0,
        };

    /// <summary>Whether the field at <paramref name="path"/> is set to something other than null.</summary>
    public static bool Has(JsonNode? node, params ReadOnlySpan<string> path) => At(node, path) is not null;

    /// <summary>An RFC 3339 time (metav1.Time or MicroTime), or null when absent or unparsable.</summary>
    public static DateTimeOffset? Time(JsonNode? node, params ReadOnlySpan<string> path) =>
        Str(node, path) is { Length: > 0 } s
        && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var t)
            ? t
            : null;

    /// <summary>An IntOrString as Go prints it ("2", "50%"), or null when absent.</summary>
    public static string? IntOrString(JsonNode? node, params ReadOnlySpan<string> path) =>
        Long(node, path) is { } n ? n.ToString(CultureInfo.InvariantCulture) : Str(node, path);
}
