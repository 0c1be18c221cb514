using System.Globalization;
using System.Text.Json.Nodes;
using static KvCluster.ApiServer.Printing.JsonRead;

namespace KvCluster.ApiServer.Printing;

/// <summary>
/// The server-side printing columns of kube-apiserver 1.32 (pkg/printers/internalversion), what
/// `kubectl get` shows for the built-in kinds; kinds without a printer get the apiserver's default
/// table (NAME, CREATED AT). The cells read the object's JSON as served.
/// </summary>
public static partial class KindPrinters
{
    private const int LoadBalancerWidth = 16;

    private static readonly IReadOnlyList<Column> DefaultColumns =
    [
        NameColumn(),
        new("Created At", "date", Doc.CreationTimestamp, 0, (o, _) => CreatedAt(o)),
    ];

    private static readonly Dictionary<(string Group, string Kind), IReadOnlyList<Column>> Tables = BuildTables();

    /// <summary>The columns for a kind of <paramref name="group"/> ("" for core).</summary>
    public static IReadOnlyList<Column> For(string group, string kind) =>
        Tables.TryGetValue((group, kind), out var columns) ? columns : DefaultColumns;

    private static Dictionary<(string Group, string Kind), IReadOnlyList<Column>> BuildTables()
    {
        var tables = new Dictionary<(string Group, string Kind), IReadOnlyList<Column>>();
        AddCore(tables);
        AddWorkloads(tables);
        AddOthers(tables);
        return tables;
    }

    // Column builders: priority 0 is shown by `kubectl get`, priority 1 only with -o wide.
    private static Column NameColumn() =>
        new("Name", "string", Doc.Name, 0, (o, _) => Text(o, "metadata", "name")) { Format = "name" };

    private static Column AgeColumn() => Col("Age", "string", Doc.CreationTimestamp, Age);

    private static Column Col(string name, string type, string description, Func<JsonObject, DateTimeOffset, object?> cell) =>
        new(name, type, description, 0, cell);

    private static Column Wide(string name, string type, string description, Func<JsonObject, DateTimeOffset, object?> cell) =>
        new(name, type, description, 1, cell);

    private static Column ContainersColumn(int priority, params string[] podSpecPath) =>
        new("Containers", "string", Doc.ContainerNames, priority, (o, _) => JoinContainers(o, podSpecPath, "name"));

    private static Column ImagesColumn(int priority, params string[] podSpecPath) =>
        new("Images", "string", Doc.ContainerImages, priority, (o, _) => JoinContainers(o, podSpecPath, "image"));

    // Shared cell logic.
    private static string Age(JsonObject o, DateTimeOffset now) => Since(Time(o, "metadata", "creationTimestamp"), now);

    /// <summary>How long ago <paramref name="t"/> was, "&lt;unknown&gt;" for an unset time.</summary>
    private static string Since(DateTimeOffset? t, DateTimeOffset now) => t is { } time ? HumanDuration.Format(now - time) : "<unknown>";

    /// <summary>The default table's cell: the creation time in UTC, RFC 3339 to the second (Go's zero time when unset).</summary>
    private static string CreatedAt(JsonObject o) =>
        (Time(o, "metadata", "creationTimestamp") ?? DateTimeOffset.MinValue).UtcDateTime.ToString("yyyy'-'MM'-'dd'T'HH':'mm':'ss'Z'", CultureInfo.InvariantCulture);

    private static string JoinContainers(JsonObject o, string[] podSpecPath, string field) =>
        string.Join(",", Items(At(o, podSpecPath), "containers").Select(c => Text(c, field)));

    /// <summary>A label map as "k1=v1,k2=v2" sorted by key, "&lt;none&gt;" when empty (labels.FormatLabels).</summary>
    private static string FormatLabels(JsonNode? map)
    {
        var pairs = Map(map);
        return pairs.Count == 0
            ? "<none>"
            : string.Join(",", pairs.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + p.Value));
    }

    /// <summary>A LabelSelector as kubectl prints it, "&lt;none&gt;" when it selects nothing or everything (metav1.FormatLabelSelector).</summary>
    private static string FormatLabelSelector(JsonNode? selector) =>
        SelectorString(selector) switch
        {
            null => "<error>",
            "" => "<none>",
            { } s => s,
        };

    /// <summary>
    /// The selector's requirements sorted by key ("app=web,tier in (a,b),!legacy"), "" for a missing
    /// or empty selector, or null when it is invalid (an unknown operator, a set operator without values).
    /// </summary>
    private static string? SelectorString(JsonNode? selector)
    {
        var requirements = new List<(string Key, string Text)>();
        foreach (var (key, value) in Map(selector, "matchLabels"))
        {
            requirements.Add((key, key + "=" + value));
        }

        foreach (var expression in Items(selector, "matchExpressions"))
        {
            var key = Text(expression, "key");
            var values = Strings(expression, "values").Order(StringComparer.Ordinal).ToList();
            string? text = Str(expression, "operator") switch
            {
                "In" when values.Count > 0 => $"{key} in ({string.Join(",", values)})",
                "NotIn" when values.Count > 0 => $"{key} notin ({string.Join(",", values)})",
                "Exists" => key,
                "DoesNotExist" => "!" + key,
                _ => null,
            };
            if (text is null)
            {
                return null;
            }

            requirements.Add((key, text));
        }

        return string.Join(",", requirements.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => r.Text));
    }

    /// <summary>
    /// A load balancer's ingress points (IPs, else hostnames), sorted and deduplicated, clipped to 16
    /// characters as in the non-wide output.
    /// </summary>
    private static string LoadBalancerIngress(JsonNode? loadBalancerStatus)
    {
        var points = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var ingress in Items(loadBalancerStatus, "ingress"))
        {
            if (Str(ingress, "ip") is { Length: > 0 } ip)
            {
                points.Add(ip);
            }
            else if (Str(ingress, "hostname") is { Length: > 0 } hostname)
            {
                points.Add(hostname);
            }
        }

        var joined = string.Join(",", points);
        return joined.Length > LoadBalancerWidth ? joined[..(LoadBalancerWidth - 3)] + "..." : joined;
    }

    /// <summary>Whether the condition of <paramref name="type"/> in <paramref name="conditions"/> is "True"; the first one of that type decides.</summary>
    private static bool ConditionTrue(JsonNode? conditions, string type) =>
        Items(conditions).FirstOrDefault(c => Str(c, "type") == type) is { } condition && Str(condition, "status") == "True";

    private static string Digits(long n) => n.ToString(CultureInfo.InvariantCulture);
}
