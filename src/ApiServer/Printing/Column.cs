using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Printing;

/// <summary>
/// One column of kubectl's server-side printing (meta.k8s.io/v1 Table). <see cref="Priority"/> 0 is
/// shown by `kubectl get`, 1 only with `-o wide`. <see cref="Cell"/> computes the cell from the stored
/// object (JSON, as served) and the current time; it returns a string, a long/int, or null.
/// </summary>
public sealed record Column(string Name, string Type, string Description, int Priority, Func<JsonObject, DateTimeOffset, object?> Cell)
{
    /// <summary>The OpenAPI format of the cell; "name" marks the column that names the row.</summary>
    public string Format { get; init; } = "";
}
