using System.Globalization;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Patch;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Apply;

/// <summary>
/// Server-side apply (application/apply-patch+yaml) and the field ownership behind it,
/// metadata.managedFields. The object records one entry per manager and operation.
///
/// An apply by manager M merges M's configuration into the object, as a strategic merge: maps by
/// key, lists by their merge keys. Fields M applied before and leaves out now are removed, unless
/// another manager still owns them. M then owns exactly the fields of its configuration.
///
/// Changing a field's value that another manager owns is a conflict: a 409 that lists each one
/// ("Apply failed with 1 conflict: conflict with "other": .spec.replicas"). With force=true, M takes
/// those fields over instead.
///
/// Other writes (create, update, patch) give their manager the fields they change, and take those
/// fields from everyone else.
/// </summary>
public static class ServerSideApply
{
    private sealed record Entry(string Manager, string Operation, string ApiVersion, string Time, FieldSet Fields);

    /// <summary>The object after <paramref name="manager"/> applies <paramref name="config"/> to <paramref name="live"/> (null: it is created).</summary>
    public static JsonObject Apply(ResourceKind kind, JsonObject? live, JsonObject config, string manager, bool force, DateTimeOffset now)
    {
        var entries = Read(live);
        var applied = FieldSet.Of(config);
        var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Apply");
        if (live is not null)
        {
            var conflicts = new List<(Entry Owner, IReadOnlyList<string> Path)>();
            foreach (var leaf in applied.Leaves().Where(l => l[^1] != "."))
            {
                if (JsonNode.DeepEquals(ValueAt(live, leaf), ValueAt(config, leaf)))
                {
                    continue;
                }

                conflicts.AddRange(entries.Where(e => e != mine && e.Fields.Contains(leaf)).Select(e => (e, leaf)));
            }

            if (conflicts.Count > 0 && !force)
            {
                throw Conflict(conflicts);
            }

            foreach (var (owner, path) in conflicts)
            {
                owner.Fields.Remove(path);
            }
        }

        var result = live is null ? (JsonObject)config.DeepClone() : StrategicMergePatch.Apply((JsonObject)live.DeepClone(), Strip(config));
        if (mine is not null)
        {
            foreach (var leaf in mine.Fields.Leaves().Where(l => !applied.Contains(l)).ToList())
            {
                // An element ("." leaf) stays while anyone else owns anything in it.
                var owned = leaf[^1] == "." ? leaf.Take(leaf.Count - 1).ToList() : leaf;
                if (!entries.Any(e => e != mine && e.Fields.Contains(owned)))
                {
                    RemoveAt(result, leaf);
                }
            }

            entries.Remove(mine);
        }

        entries.Add(new Entry(manager, "Apply", kind.GroupVersion, Time(now), applied));
        Write(result, entries);
        return result;
    }

    /// <summary>Records a non-apply write: <paramref name="manager"/> owns what it changed from <paramref name="old"/> (null: created).</summary>
    public static void TrackUpdate(ResourceKind kind, JsonObject? old, JsonObject updated, string manager, DateTimeOffset now)
    {
        var entries = Read(old);
        var fields = FieldSet.Of(updated);
        var changed = fields.Leaves().Where(l => old is null || !JsonNode.DeepEquals(ValueAt(old, l), ValueAt(updated, l))).ToList();
        foreach (var e in entries)
        {
            // Fields the write removed, and fields it changed, leave their owners.
            foreach (var leaf in e.Fields.Leaves().Where(l => !fields.Contains(l) || changed.Any(c => c.SequenceEqual(l))).ToList())
            {
                e.Fields.Remove(leaf);
            }
        }

        if (changed.Count > 0)
        {
            var mine = entries.FirstOrDefault(e => e.Manager == manager && e.Operation == "Update");
            if (mine is null)
            {
                mine = new Entry(manager, "Update", kind.GroupVersion, Time(now), new FieldSet());
                entries.Add(mine);
            }
            else
            {
                entries[entries.IndexOf(mine)] = mine = mine with { Time = Time(now) };
            }

            foreach (var leaf in changed)
            {
                mine.Fields.Add(leaf);
            }
        }

        Write(updated, entries);
    }

    private static ApiException Conflict(List<(Entry Owner, IReadOnlyList<string> Path)> conflicts)
    {
        string Who(Entry e) => e.Operation == "Update" ? $"\"{e.Manager}\" using {e.ApiVersion}" : $"\"{e.Manager}\"";
        string message = conflicts.Count == 1
            ? $"Apply failed with 1 conflict: conflict with {Who(conflicts[0].Owner)}: {FieldSet.Describe(conflicts[0].Path)}"
            : $"Apply failed with {conflicts.Count} conflicts: " + string.Join("\n", conflicts.GroupBy(c => c.Owner).Select(g => $"conflicts with {Who(g.Key)}:\n" + string.Join("\n", g.Select(c => "- " + FieldSet.Describe(c.Path)))));
        var causes = new JsonArray([.. conflicts.Select(c => new JsonObject { ["reason"] = "FieldManagerConflict", ["message"] = $"conflict with {Who(c.Owner)}", ["field"] = FieldSet.Describe(c.Path) })]);
        return new ApiException(409, "Conflict", message) { Details = new JsonObject { ["causes"] = causes } };
    }

    /// <summary>The configuration without what an apply never merges (identity and bookkeeping).</summary>
    private static JsonObject Strip(JsonObject config)
    {
        var c = (JsonObject)config.DeepClone();
        if (c["metadata"] is JsonObject meta)
        {
            foreach (var f in new[] { "managedFields", "resourceVersion", "uid", "creationTimestamp", "generation" })
            {
                meta.Remove(f);
            }
        }

        return c;
    }

    private static string Time(DateTimeOffset now) => now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    private static List<Entry> Read(JsonObject? obj) =>
        [.. (obj?["metadata"]?["managedFields"] as JsonArray ?? []).OfType<JsonObject>().Select(e => new Entry(
            e["manager"]?.GetValue<string>() ?? "",
            e["operation"]?.GetValue<string>() ?? "Update",
            e["apiVersion"]?.GetValue<string>() ?? "",
            e["time"]?.GetValue<string>() ?? "",
            FieldSet.FromJson(e["fieldsV1"] as JsonObject)))];

    private static void Write(JsonObject obj, List<Entry> entries)
    {
        var meta = obj["metadata"] as JsonObject ?? [];
        obj["metadata"] = meta;
        var list = new JsonArray();
        foreach (var e in entries.Where(e => !e.Fields.IsEmpty))
        {
            list.Add(new JsonObject
            {
                ["manager"] = e.Manager,
                ["operation"] = e.Operation,
                ["apiVersion"] = e.ApiVersion,
                ["time"] = e.Time,
                ["fieldsType"] = "FieldsV1",
                ["fieldsV1"] = e.Fields.ToJson(),
            });
        }

        if (list.Count > 0)
        {
            meta["managedFields"] = list;
        }
        else
        {
            meta.Remove("managedFields");
        }
    }

    /// <summary>The value at a FieldsV1 path, or null.</summary>
    private static JsonNode? ValueAt(JsonNode? node, IReadOnlyList<string> path)
    {
        foreach (var p in path)
        {
            node = Step(node, p);
            if (node is null)
            {
                return null;
            }
        }

        return node;
    }

    private static JsonNode? Step(JsonNode? node, string p) => p switch
    {
        "." => node,
        _ when p.StartsWith("f:", StringComparison.Ordinal) => (node as JsonObject)?[p[2..]],
        _ when p.StartsWith("k:", StringComparison.Ordinal) => (node as JsonArray)?.FirstOrDefault(e => Matches(e, p)),
        _ when p.StartsWith("v:", StringComparison.Ordinal) => (node as JsonArray)?.FirstOrDefault(e => (e?.ToJsonString() ?? "null") == p[2..]),
        _ => null,
    };

    private static bool Matches(JsonNode? element, string keyPath) =>
        element is JsonObject o && JsonNode.Parse(keyPath[2..]) is JsonObject key && key.All(kv => JsonNode.DeepEquals(o[kv.Key], kv.Value));

    private static void RemoveAt(JsonObject root, IReadOnlyList<string> path)
    {
        if (path.Count > 0 && path[^1] == ".")
        {
            path = [.. path.Take(path.Count - 1)];
        }

        if (path.Count == 0)
        {
            return;
        }

        var parent = ValueAt(root, [.. path.Take(path.Count - 1)]);
        string last = path[^1];
        switch (parent)
        {
            case JsonObject o when last.StartsWith("f:", StringComparison.Ordinal):
                o.Remove(last[2..]);
                break;
            case JsonArray a when last.StartsWith("k:", StringComparison.Ordinal) || last.StartsWith("v:", StringComparison.Ordinal):
                if (a.FirstOrDefault(e => last.StartsWith("k:", StringComparison.Ordinal) ? Matches(e, last) : (e?.ToJsonString() ?? "null") == last[2..]) is { } element)
                {
                    a.Remove(element);
                }

                break;
        }
    }
}
