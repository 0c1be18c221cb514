using System.Text.Json.Nodes;
using KvCluster.ApiServer.Printing;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// Server-side printing: a meta.k8s.io Table (what kubectl asks for with Accept "…;as=Table"), with
/// the kind's columns and, per row, the object's metadata (PartialObjectMetadata), the whole object
/// (includeObject=Object) or nothing (None).
/// </summary>
internal sealed class Tables(TimeProvider time)
{
    /// <summary>The Table version kubectl asked for ("v1" or "v1beta1"), or null when it wants plain objects.</summary>
    public static string? Requested(string? accept)
    {
        if (accept is null)
        {
            return null;
        }

        foreach (var option in accept.Split(','))
        {
            var parts = option.Split(';', StringSplitOptions.TrimEntries);
            if (parts.Contains("as=Table") && parts.Contains("g=meta.k8s.io"))
            {
                return parts.Contains("v=v1beta1") ? "v1beta1" : "v1";
            }
        }

        return null;
    }

    public static string ContentType(string version) => $"application/json;as=Table;v={version};g=meta.k8s.io";

    public JsonObject Build(ResourceKind kind, IEnumerable<JsonObject> objects, string version, string? includeObject, JsonObject listMeta, bool headers = true)
    {
        var columns = kind.Columns ?? KindPrinters.For(kind.Group, kind.Kind);
        var now = time.GetUtcNow();
        var defs = new JsonArray();
        if (headers)
        {
            foreach (var c in columns)
            {
                defs.Add(new JsonObject { ["name"] = c.Name, ["type"] = c.Type, ["format"] = c.Format, ["description"] = c.Description, ["priority"] = c.Priority });
            }
        }

        var rows = new JsonArray();
        foreach (var obj in objects)
        {
            var cells = new JsonArray();
            foreach (var c in columns)
            {
                cells.Add(Cell(c.Cell(obj, now)));
            }

            var row = new JsonObject { ["cells"] = cells };
            var embedded = RowObject(obj, includeObject);
            if (embedded is not null)
            {
                row["object"] = embedded;
            }

            rows.Add(row);
        }

        return new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/" + version,
            ["metadata"] = listMeta,
            ["columnDefinitions"] = defs,
            ["rows"] = rows,
        };
    }

    private static JsonNode? Cell(object? value) => value switch
    {
        null => null,
        string s => s,
        int i => i,
        long l => l,
        bool b => b,
        double d => d,
        _ => value.ToString(),
    };

    private static JsonObject? RowObject(JsonObject obj, string? includeObject) => includeObject switch
    {
        "None" => null,
        "Object" => (JsonObject)obj.DeepClone(),
        _ => new JsonObject
        {
            ["kind"] = "PartialObjectMetadata",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = obj["metadata"]?.DeepClone(),
        },
    };
}
