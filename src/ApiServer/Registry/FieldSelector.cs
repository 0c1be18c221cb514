using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// A field selector ("metadata.name=x,status.phase!=Running"). Each kind supports metadata.name and
/// metadata.namespace plus the fields Kubernetes indexes for it; any other field is refused as
/// Kubernetes refuses it ("field label not supported: …").
/// </summary>
public sealed class FieldSelector
{
    private sealed record Requirement(string Field, bool Equal, string Value);

    private readonly List<Requirement> _requirements;

    private FieldSelector(List<Requirement> requirements) => _requirements = requirements;

    public static readonly FieldSelector Everything = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    /// <summary>The name this selector pins (metadata.name=x), if any: a get-by-name in disguise (kubectl's wait).</summary>
    public string? Name => _requirements.FirstOrDefault(r => r.Field == "metadata.name" && r.Equal)?.Value;

    private static readonly Dictionary<string, string[]> KindFields = new()
    {
        ["Pod"] = ["spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName", "spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName"],
        ["Event"] = ["involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type"],
        ["Secret"] = ["type"],
        ["Node"] = ["spec.unschedulable"],
        ["Namespace"] = ["status.phase"],
        ["ReplicaSet"] = ["status.replicas"],
        ["Job"] = ["status.successful"],
    };

    public static FieldSelector Parse(string? text, ResourceKind kind)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var list = new List<Requirement>();
        foreach (var raw in text.Split(','))
        {
            var part = raw.Trim();
            var (at, len, equal) = part.IndexOf("!=", StringComparison.Ordinal) is var ne and > 0 ? (ne, 2, false)
                : part.IndexOf("==", StringComparison.Ordinal) is var ee and > 0 ? (ee, 2, true)
                : part.IndexOf('=') is var e and > 0 ? (e, 1, true)
                : throw ApiException.BadRequest($"invalid selector: '{text}'; can't understand '{part}'");
            var field = part[..at].Trim();
            if (field is not ("metadata.name" or "metadata.namespace") && !(KindFields.TryGetValue(kind.Kind, out var allowed) && allowed.Contains(field)))
            {
                throw ApiException.BadRequest($"field label not supported: {field}");
            }

            list.Add(new Requirement(field, equal, part[(at + len)..].Trim()));
        }

        return new FieldSelector(list);
    }

    public bool Matches(JsonObject obj)
    {
        foreach (var r in _requirements)
        {
            var actual = Read(obj, r.Field);
            if ((actual == r.Value) != r.Equal)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A field's value as Kubernetes' field sets render it: strings as is, booleans "true"/"false", absent "".</summary>
    private static string Read(JsonObject obj, string path)
    {
        JsonNode? node = obj;
        foreach (var part in path.Split('.'))
        {
            node = node is JsonObject o && o.TryGetPropertyValue(part, out var next) ? next : null;
        }

        return node switch
        {
            null => path == "spec.unschedulable" || path == "spec.hostNetwork" ? "false" : "",
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValueKind() == JsonValueKind.True ? "true" : "false",
            _ => node.ToJsonString(),
        };
    }
}
