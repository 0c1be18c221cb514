using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// A label selector in Kubernetes' string syntax: "app=web,tier!=db,env in (a,b),release notin (x),gpu,!legacy,replicas>2".
/// Requirements are ANDed. An empty selector matches everything.
/// </summary>
public sealed class LabelSelector
{
    private enum Op { Equals, NotEquals, In, NotIn, Exists, DoesNotExist, GreaterThan, LessThan }

    private sealed record Requirement(string Key, Op Op, IReadOnlyList<string> Values);

    private readonly List<Requirement> _requirements;

    private LabelSelector(List<Requirement> requirements) => _requirements = requirements;

    public static readonly LabelSelector Everything = new([]);

    public bool IsEmpty => _requirements.Count == 0;

    public static LabelSelector Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return Everything;
        }

        var list = new List<Requirement>();
        foreach (var part in SplitTopLevel(text))
        {
            list.Add(ParseRequirement(part.Trim(), text));
        }

        return new LabelSelector(list);
    }

    public bool Matches(JsonObject? labels)
    {
        foreach (var r in _requirements)
        {
            var has = labels is not null && labels.TryGetPropertyValue(r.Key, out var node) && node is not null;
            var value = has ? labels![r.Key]!.GetValue<string>() : null;
            var ok = r.Op switch
            {
                Op.Exists => has,
                Op.DoesNotExist => !has,
                Op.Equals or Op.In => has && r.Values.Contains(value!),
                Op.NotEquals or Op.NotIn => !has || !r.Values.Contains(value!),
                Op.GreaterThan => has && long.TryParse(value, out var g) && g > long.Parse(r.Values[0]),
                Op.LessThan => has && long.TryParse(value, out var l) && l < long.Parse(r.Values[0]),
                _ => false,
            };
            if (!ok)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Splits on commas that are not inside "( … )".</summary>
    private static IEnumerable<string> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '(')
            {
                depth++;
            }
            else if (text[i] == ')')
            {
                depth--;
            }
            else if (text[i] == ',' && depth == 0)
            {
                yield return text[start..i];
                start = i + 1;
            }
        }

        yield return text[start..];
    }

    private static Requirement ParseRequirement(string part, string whole)
    {
        if (part.Length == 0)
        {
            throw Bad(whole, "found '', expected: identifier");
        }

        if (part[0] == '!')
        {
            return new Requirement(Key(part[1..].Trim(), whole), Op.DoesNotExist, []);
        }

        foreach (var (token, op) in new[] { (" notin ", Op.NotIn), (" in ", Op.In) })
        {
            var at = part.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                var set = part[(at + token.Length)..].Trim();
                if (set.Length < 2 || set[0] != '(' || set[^1] != ')')
                {
                    throw Bad(whole, "found '" + set + "', expected: '('");
                }

                var values = set[1..^1].Split(',', StringSplitOptions.TrimEntries).Where(v => v.Length > 0).ToList();
                foreach (var v in values)
                {
                    Value(v, whole);
                }

                return new Requirement(Key(part[..at].Trim(), whole), op, values);
            }
        }

        foreach (var (token, op) in new[] { ("!=", Op.NotEquals), ("==", Op.Equals), ("=", Op.Equals), (">", Op.GreaterThan), ("<", Op.LessThan) })
        {
            var at = part.IndexOf(token, StringComparison.Ordinal);
            if (at > 0)
            {
                var value = part[(at + token.Length)..].Trim();
                if (op is Op.GreaterThan or Op.LessThan && !long.TryParse(value, out _))
                {
                    throw Bad(whole, $"for 'Gt', 'Lt' operators, the value must be an integer");
                }

                return new Requirement(Key(part[..at].Trim(), whole), op, [Value(value, whole)]);
            }
        }

        return new Requirement(Key(part, whole), Op.Exists, []);
    }

    private static string Key(string key, string whole) =>
        NameRules.CheckLabelKey(key) is { } why ? throw Bad(whole, $"key: Invalid value: \"{key}\": {why}") : key;

    private static string Value(string value, string whole) =>
        NameRules.CheckLabelValue(value) is { } why ? throw Bad(whole, $"values[0][{value}]: Invalid value: \"{value}\": {why}") : value;

    private static ApiException Bad(string selector, string why) =>
        ApiException.BadRequest($"unable to parse requirement: {why}");
}
