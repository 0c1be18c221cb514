using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Storage;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// Service clusterIPs (from --service-cluster-ip-range) and nodePorts (from --service-node-port-range),
/// as kube-apiserver allocates them. Each address or port held is one store key
/// (/registry/ranges/serviceips/&lt;ip&gt;, /registry/ranges/servicenodeports/&lt;port&gt;) created only
/// if absent, so two Services never get the same one, whichever apiserver allocates it.
/// </summary>
public sealed class ServiceAllocator(IObjectStore store, IPNetwork ipRange, int firstPort, int lastPort) : IAllocations
{
    private const string IpPrefix = "/registry/ranges/serviceips/";
    private const string PortPrefix = "/registry/ranges/servicenodeports/";

    /// <summary>The range's first host address: kube-apiserver gives it to the "kubernetes" Service.</summary>
    public string FirstAddress => Offset(1).ToString();

    public async Task AllocateAsync(JsonObject svc, JsonObject? old, CancellationToken ct)
    {
        var spec = svc["spec"] as JsonObject ?? [];
        var owner = Owner(svc);
        var name = Str(svc["metadata"]?["name"]) ?? "";
        var taken = new List<string>();
        try
        {
            var type = spec["type"]?.GetValue<string>() ?? "ClusterIP";
            var ip = spec["clusterIP"]?.GetValue<string>();
            if (type != "ExternalName" && ip != "None" && (string.IsNullOrEmpty(ip) || ip != Str(old?["spec"]?["clusterIP"])))
            {
                ip = string.IsNullOrEmpty(ip) ? await AllocateIpAsync(owner, taken, ct) : await ClaimIpAsync(ip, name, owner, taken, ct);
                spec["clusterIP"] = ip;
                spec["clusterIPs"] = new JsonArray(ip);
            }

            if (type is "NodePort" or "LoadBalancer")
            {
                var held = NodePorts(old).ToHashSet();
                var ports = spec["ports"] as JsonArray ?? [];
                for (var i = 0; i < ports.Count; i++)
                {
                    if (ports[i] is not JsonObject port)
                    {
                        continue;
                    }

                    var wanted = port["nodePort"]?.GetValue<int>() ?? 0;
                    if (wanted == 0)
                    {
                        port["nodePort"] = await AllocatePortAsync(owner, taken, ct);
                    }
                    else if (!held.Contains(wanted))
                    {
                        await ClaimPortAsync(wanted, $"spec.ports[{i}].nodePort", name, owner, taken, ct);
                    }
                }
            }
        }
        catch
        {
            foreach (var key in taken)
            {
                await ReleaseKeyAsync(key, owner, ct);
            }

            throw;
        }
    }

    public async Task ReleaseAsync(JsonObject svc, JsonObject? keep, CancellationToken ct)
    {
        var owner = Owner(svc);
        var ip = Str(svc["spec"]?["clusterIP"]);
        if (!string.IsNullOrEmpty(ip) && ip != "None" && ip != Str(keep?["spec"]?["clusterIP"]))
        {
            await ReleaseKeyAsync(IpPrefix + ip, owner, ct);
        }

        var kept = NodePorts(keep).ToHashSet();
        foreach (var port in NodePorts(svc).Where(p => !kept.Contains(p)))
        {
            await ReleaseKeyAsync(PortPrefix + port.ToString(CultureInfo.InvariantCulture), owner, ct);
        }
    }

    private async Task<string> AllocateIpAsync(string owner, List<string> taken, CancellationToken ct)
    {
        var size = ipRange.BaseAddress.AddressFamily == AddressFamily.InterNetwork ? 1L << (32 - ipRange.PrefixLength) : 1L << Math.Min(62, 128 - ipRange.PrefixLength);
        for (var attempt = 0; attempt < 256; attempt++)
        {
            // Skip the network address and the first host (the "kubernetes" Service's) and the last address.
            var ip = Offset(2 + Random.Shared.NextInt64(Math.Max(1, size - 3))).ToString();
            if ((await store.CreateAsync(IpPrefix + ip, Encoding.UTF8.GetBytes(owner), ct)).Succeeded)
            {
                taken.Add(IpPrefix + ip);
                return ip;
            }
        }

        throw new ApiException(500, "InternalError", "Internal error occurred: failed to allocate a serviceIP: range is full");
    }

    private async Task<string> ClaimIpAsync(string ip, string name, string owner, List<string> taken, CancellationToken ct)
    {
        if (!IPAddress.TryParse(ip, out var address))
        {
            throw Invalid(name, "spec.clusterIPs", $"[]string{{\"{ip}\"}}", "must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)");
        }

        if (!ipRange.Contains(address))
        {
            throw Invalid(name, "spec.clusterIPs", $"[]string{{\"{ip}\"}}", $"failed to allocate IP {ip}: the provided IP ({ip}) is not in the valid range. The range of valid IPs is {ipRange}");
        }

        if (!(await store.CreateAsync(IpPrefix + ip, Encoding.UTF8.GetBytes(owner), ct)).Succeeded)
        {
            throw Invalid(name, "spec.clusterIPs", $"[]string{{\"{ip}\"}}", $"failed to allocate IP {ip}: provided IP is already allocated");
        }

        taken.Add(IpPrefix + ip);
        return ip;
    }

    private async Task<int> AllocatePortAsync(string owner, List<string> taken, CancellationToken ct)
    {
        for (var attempt = 0; attempt < 512; attempt++)
        {
            var port = Random.Shared.Next(firstPort, lastPort + 1);
            var key = PortPrefix + port.ToString(CultureInfo.InvariantCulture);
            if ((await store.CreateAsync(key, Encoding.UTF8.GetBytes(owner), ct)).Succeeded)
            {
                taken.Add(key);
                return port;
            }
        }

        throw new ApiException(500, "InternalError", "Internal error occurred: failed to allocate a nodePort: range is full");
    }

    private async Task ClaimPortAsync(int port, string field, string name, string owner, List<string> taken, CancellationToken ct)
    {
        var value = port.ToString(CultureInfo.InvariantCulture);
        if (port < firstPort || port > lastPort)
        {
            throw Invalid(name, field, value, $"provided port is not in the valid range. The range of valid ports is {firstPort}-{lastPort}");
        }

        if (!(await store.CreateAsync(PortPrefix + value, Encoding.UTF8.GetBytes(owner), ct)).Succeeded)
        {
            throw Invalid(name, field, value, "provided port is already allocated");
        }

        taken.Add(PortPrefix + value);
    }

    /// <summary>Deletes an allocation key if <paramref name="owner"/> still holds it.</summary>
    private async Task ReleaseKeyAsync(string key, string owner, CancellationToken ct)
    {
        if (await store.GetAsync(key, ct) is { } held && Encoding.UTF8.GetString(held.Value) == owner)
        {
            await store.DeleteAsync(key, held.ModRevision, ct);
        }
    }

    private IPAddress Offset(long n)
    {
        var bytes = ipRange.BaseAddress.GetAddressBytes();
        for (var i = bytes.Length - 1; i >= 0 && n > 0; i--)
        {
            var sum = bytes[i] + (n & 0xff);
            bytes[i] = (byte)sum;
            n = (n >> 8) + (sum >> 8);
        }

        return new IPAddress(bytes);
    }

    private static IEnumerable<int> NodePorts(JsonObject? svc) =>
        (svc?["spec"]?["ports"] as JsonArray ?? []).Select(p => p?["nodePort"]?.GetValue<int>() ?? 0).Where(p => p > 0);

    private static string Owner(JsonObject svc) => $"{Str(svc["metadata"]?["namespace"])}/{Str(svc["metadata"]?["name"])}";

    private static string? Str(JsonNode? n) => n?.GetValue<string>();

    private static ApiException Invalid(string name, string field, string value, string why) =>
        new(422, "Invalid", $"Service \"{name}\" is invalid: {field}: Invalid value: {value}: {why}")
        {
            Details = new JsonObject { ["name"] = name, ["kind"] = "Service", ["causes"] = new JsonArray(new JsonObject { ["reason"] = "FieldValueInvalid", ["message"] = $"Invalid value: {value}: {why}", ["field"] = field }) },
        };
}
