using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Printing;

namespace KvCluster.ApiServer.Registry.Crd;

/// <summary>
/// A CRD version's Table columns: NAME, then its additionalPrinterColumns (each a JSONPath into the
/// object: .field, [n] and [*] steps), or NAME and AGE when it declares none, as kube-apiserver prints
/// custom resources. date cells are shown as ages.
/// </summary>
internal static class PrinterColumns
{
    public static IReadOnlyList<Column> For(JsonArray? additional)
    {
        var name = new Column("Name", "string", "Name must be unique within a namespace.", 0, (o, _) => o["metadata"]?["name"]?.GetValue<string>()) { Format = "name" };
        if (additional is not { Count: > 0 })
        {
            return [name, new Column("Age", "date", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0, (o, now) => Age(o["metadata"]?["creationTimestamp"], now))];
        }

        var columns = new List<Column> { name };
        foreach (var c in additional.OfType<JsonObject>())
        {
            var type = c["type"]?.GetValue<string>() ?? "string";
            var path = c["jsonPath"]?.GetValue<string>() ?? "";
            columns.Add(new Column(c["name"]?.GetValue<string>() ?? path, type, c["description"]?.GetValue<string>() ?? "", c["priority"]?.GetValue<int>() ?? 0, (o, now) => Cell(Select(o, path), type, now))
            {
                Format = c["format"]?.GetValue<string>() ?? "",
            });
        }

        return columns;
    }

    private static object? Cell(List<JsonNode?> values, string type, DateTimeOffset now)
    {
        if (values.Count == 0 || values[0] is null)
        {
            return null;
        }

        if (values.Count > 1)
        {
            return string.Join(",", values.Select(Text));
        }

        var v = values[0]!;
        return type switch
        {
            "integer" when v.GetValueKind() == JsonValueKind.Number && v.AsValue().TryGetValue<long>(out var l) => l,
            "number" when v.GetValueKind() == JsonValueKind.Number => v.GetValue<double>(),
            "boolean" when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            "date" => Age(v, now),
            _ => Text(v),
        };
    }

    private static string Text(JsonNode? v) => v is null ? "" : v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : v.ToJsonString();

    private static string? Age(JsonNode? v, DateTimeOffset now) =>
        v?.GetValueKind() == JsonValueKind.String && DateTimeOffset.TryParse(v.GetValue<string>(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)
            ? HumanDuration.Format(now - t)
            : null;

    /// <summary>The nodes a simple JSONPath (".a.b", ".a[0].b", ".a[*].b", optionally in braces) selects.</summary>
    public static List<JsonNode?> Select(JsonNode root, string path)
    {
        var p = path.Trim();
        if (p.StartsWith('{') && p.EndsWith('}'))
        {
            p = p[1..^1];
        }

        var current = new List<JsonNode?> { root };
        var i = p.StartsWith('$') ? 1 : 0;
        while (i < p.Length && current.Count > 0)
        {
            if (p[i] == '.')
            {
                var end = i + 1;
                while (end < p.Length && p[end] is not ('.' or '['))
                {
                    end++;
                }

                var field = p[(i + 1)..end];
                current = [.. current.Select(n => n is JsonObject o ? o[field] : null).Where(n => n is not null)];
                i = end;
            }
            else if (p[i] == '[')
            {
                var end = p.IndexOf(']', i);
                if (end < 0)
                {
                    return [];
                }

                var index = p[(i + 1)..end];
                current = index == "*"
                    ? [.. current.OfType<JsonArray>().SelectMany(a => a)]
                    : int.TryParse(index, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
                        ? [.. current.OfType<JsonArray>().Select(a => n >= 0 && n < a.Count ? a[n] : null).Where(x => x is not null)]
                        : [];
                i = end + 1;
            }
            else
            {
                return [];
            }
        }

        return current;
    }
}
