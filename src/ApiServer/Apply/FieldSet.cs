using System.Text.Json.Nodes;
using KvCluster.ApiServer.Patch;

namespace KvCluster.ApiServer.Apply;

/// <summary>
/// A set of field paths in Kubernetes' FieldsV1 form: "f:spec" → "f:replicas", list elements with a
/// merge key as "k:{"name":"nginx"}", members of set-like lists as "v:"value"", and "." for an
/// element that is itself owned. A leaf is a path with no children.
/// </summary>
public sealed class FieldSet
{
    private static readonly HashSet<string> Untracked = ["apiVersion", "kind"];
    private static readonly HashSet<string> UntrackedMeta = ["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "selfLink"];

    public SortedDictionary<string, FieldSet> Children { get; } = new(StringComparer.Ordinal);

    public bool IsEmpty => Children.Count == 0;

    /// <summary>Every field an object (an applied configuration) sets.</summary>
    public static FieldSet Of(JsonObject obj)
    {
        var set = new FieldSet();
        foreach (var (key, value) in obj)
        {
            if (Untracked.Contains(key))
            {
                continue;
            }

            if (key == "metadata" && value is JsonObject meta)
            {
                var m = new FieldSet();
                foreach (var (mk, mv) in meta)
                {
                    if (!UntrackedMeta.Contains(mk))
                    {
                        m.Children["f:" + mk] = OfValue(mv, mk, "");
                    }
                }

                if (!m.IsEmpty)
                {
                    set.Children["f:metadata"] = m;
                }

                continue;
            }

            set.Children["f:" + key] = OfValue(value, key, "");
        }

        return set;
    }

    private static FieldSet OfValue(JsonNode? value, string field, string parentField)
    {
        var set = new FieldSet();
        switch (value)
        {
            case JsonObject o:
                foreach (var (k, v) in o)
                {
                    set.Children["f:" + k] = OfValue(v, k, field);
                }

                break;
            case JsonArray a when StrategicMergePatch.MergeKey(field, parentField) is { } key:
                foreach (var e in a.OfType<JsonObject>())
                {
                    if (e[key] is { } kv)
                    {
                        var element = OfValue(e, field, parentField);
                        element.Children["."] = new FieldSet();
                        set.Children[ElementKey(key, kv)] = element;
                    }
                }

                break;
            case JsonArray a when StrategicMergePatch.MergesAsSet(field):
                foreach (var e in a)
                {
                    set.Children["v:" + (e?.ToJsonString() ?? "null")] = new FieldSet();
                }

                break;
        }

        return set;
    }

    public static string ElementKey(string key, JsonNode value) => "k:" + new JsonObject { [key] = value.DeepClone() }.ToJsonString();

    /// <summary>Leaf paths (the fields themselves, not the objects holding them).</summary>
    public IEnumerable<IReadOnlyList<string>> Leaves()
    {
        foreach (var (k, child) in Children)
        {
            if (child.IsEmpty)
            {
                yield return [k];
                continue;
            }

            foreach (var rest in child.Leaves())
            {
                yield return [k, .. rest];
            }
        }
    }

    public bool Contains(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var p in path)
        {
            if (!node.Children.TryGetValue(p, out var next))
            {
                return false;
            }

            node = next;
        }

        return true;
    }

    /// <summary>Removes <paramref name="path"/> and the parents it leaves empty.</summary>
    public void Remove(IReadOnlyList<string> path)
    {
        if (path.Count == 0 || !Children.TryGetValue(path[0], out var child))
        {
            return;
        }

        if (path.Count == 1)
        {
            Children.Remove(path[0]);
            return;
        }

        child.Remove(path.Skip(1).ToList());
        if (child.IsEmpty)
        {
            Children.Remove(path[0]);
        }
    }

    public void Add(IReadOnlyList<string> path)
    {
        var node = this;
        foreach (var p in path)
        {
            if (!node.Children.TryGetValue(p, out var next))
            {
                next = new FieldSet();
                node.Children[p] = next;
            }

            node = next;
        }
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject();
        foreach (var (k, v) in Children)
        {
            o[k] = v.ToJson();
        }

        return o;
    }

    public static FieldSet FromJson(JsonObject? json)
    {
        var set = new FieldSet();
        foreach (var (k, v) in json ?? [])
        {
            set.Children[k] = FromJson(v as JsonObject);
        }

        return set;
    }

    /// <summary>A path as Kubernetes prints it in a conflict: .spec.replicas, .spec.containers[name="nginx"].image.</summary>
    public static string Describe(IReadOnlyList<string> path) => string.Concat(path.Where(p => p != ".").Select(p => p switch
    {
        _ when p.StartsWith("f:", StringComparison.Ordinal) => "." + p[2..],
        _ when p.StartsWith("k:", StringComparison.Ordinal) => "[" + string.Join(",", (JsonNode.Parse(p[2..]) as JsonObject ?? []).Select(kv => $"{kv.Key}={kv.Value?.ToJsonString()}")) + "]",
        _ when p.StartsWith("v:", StringComparison.Ordinal) => "[" + p[2..] + "]",
        _ => p,
    }));
}
