using System.Text.Json.Nodes;
namespace KvCluster.ApiServer.Registry;

/// <summary>
/// One kind the server serves, described by data so that a new kind (or a CRD) is a new row, not a
/// new code path. Names as in discovery: plural "deployments", singular "deployment", kind "Deployment".
/// </summary>
public sealed record ResourceKind(string Group, string Version, string Kind, string Plural, string Singular, bool Namespaced)
{
    public IReadOnlyList<string> ShortNames { get; init; } = [];

    public IReadOnlyList<string> Categories { get; init; } = [];

    /// <summary>Subresources served besides the object itself: "status", "scale".</summary>
    public IReadOnlyList<string> Subresources { get; init; } = [];

    /// <summary>Where the scale subresource reads and writes replicas (a CRD's subresources.scale); null: spec.replicas, status.replicas and spec.selector.matchLabels, as the built-in workloads have them.</summary>
    public ScalePaths? Scale { get; init; }

    /// <summary>Verbs in discovery. Every kind is fully writable unless a row says otherwise.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;

    /// <summary>DELETE answers with the object (pods, services, namespaces) rather than a Success Status.</summary>
    public bool ReturnDeletedObject { get; init; }

    /// <summary>Whether metadata.generation counts changes of the object's spec.</summary>
    public bool HasGeneration { get; init; }

    /// <summary>Names must be DNS-1123 labels (namespaces, services) rather than subdomains.</summary>
    public bool LabelNames { get; init; }

    /// <summary>The store's prefix for this kind: /registry/&lt;plural&gt;/ (core and built-in groups), as kube-apiserver keys them.</summary>
    public string StorageResource { get; init; } = Plural;

    /// <summary>The Table columns of a custom kind (its CRD's additionalPrinterColumns); null: the built-in printers.</summary>
    public IReadOnlyList<Printing.Column>? Columns { get; init; }

    /// <summary>A custom kind's OpenAPI v3 schema (its CRD version's openAPIV3Schema), served in /openapi/v3 and used by fieldValidation; null for built-in kinds.</summary>
    public JsonObject? Schema { get; init; }

    public static readonly IReadOnlyList<string> AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

    public string GroupVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    public string ListKind => Kind + "List";

    /// <summary>The URL path of the kind's collection, without a namespace: /api/v1/pods, /apis/apps/v1/deployments.</summary>
    public string PathPrefix => Group.Length == 0 ? "/api/" + Version : $"/apis/{Group}/{Version}";

    public string StoragePrefix => $"/registry/{StorageResource}/";

    /// <summary>The store key of one object.</summary>
    public string Key(string? ns, string name) => Namespaced ? $"{StoragePrefix}{ns}/{name}" : StoragePrefix + name;

    /// <summary>The store prefix of a namespace's objects, or of all of them (<paramref name="ns"/> null).</summary>
    public string ListPrefix(string? ns) => Namespaced && ns is not null ? $"{StoragePrefix}{ns}/" : StoragePrefix;
}

/// <summary>A CRD's scale subresource: JSON paths (".spec.replicas") of the desired and observed replicas, and of the label selector (a string) in status.</summary>
public sealed record ScalePaths(string SpecReplicas, string StatusReplicas, string? LabelSelector);
