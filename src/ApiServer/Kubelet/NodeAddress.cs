using System.Globalization;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Kubelet;

/// <summary>
/// Where a node's kubelet listens, from its Node object (Kubernetes' NodeConnectionInfoGetter):
/// https, the first status.addresses entry of the preferred types, status.daemonEndpoints.kubeletEndpoint.Port
/// (10250 when unset).
/// </summary>
public static class NodeAddress
{
    public const int DefaultPort = 10250;

    /// <summary>The address types tried, in order: InternalIP first, as the brief of this cluster asks, then the rest of kube-apiserver's defaults.</summary>
    public static readonly IReadOnlyList<string> PreferredTypes = ["InternalIP", "Hostname", "InternalDNS", "ExternalDNS", "ExternalIP"];

    public static Uri KubeletBase(JsonObject node)
    {
        var addresses = node["status"]?["addresses"] as JsonArray ?? [];
        string? host = null;
        foreach (var type in PreferredTypes)
        {
            host = addresses.FirstOrDefault(a => a?["type"]?.GetValue<string>() == type && !string.IsNullOrEmpty(a["address"]?.GetValue<string>()))?["address"]?.GetValue<string>();
            if (host is not null)
            {
                break;
            }
        }

        if (host is null)
        {
            // Go prints the addresses as %v of a slice of structs.
            var known = string.Join(' ', addresses.Select(a => $"{{{a?["type"]} {a?["address"]}}}"));
            throw new ApiException(500, "", $"no preferred addresses found; known addresses: [{known}]");
        }

        var port = long.TryParse(node["status"]?["daemonEndpoints"]?["kubeletEndpoint"]?["Port"]?.ToString(), out var p) && p > 0 && p < 65536 ? (int)p : DefaultPort;
        var bracketed = host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;
        return new Uri($"https://{bracketed}:{port.ToString(CultureInfo.InvariantCulture)}/");
    }
}
