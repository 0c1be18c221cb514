using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Storage;

/// <summary>
/// Objects as stored: JSON without metadata.resourceVersion, which is the key's mod revision and is
/// put back when an object is read.
/// </summary>
public static class ObjectJson
{
    private static readonly JsonNodeOptions NodeOptions = new() { PropertyNameCaseInsensitive = false };

    public static JsonObject Parse(byte[] value, long resourceVersion)
    {
        var obj = JsonNode.Parse(value, NodeOptions) as JsonObject ?? throw new JsonException("stored value is not a JSON object");
        SetResourceVersion(obj, resourceVersion);
        Materialize(obj);
        return obj;
    }

    /// <summary>
    /// Parsed nodes build their children lazily on first access, which is not thread-safe; objects of
    /// the watch cache are read by many requests at once, so every node is built here, once.
    /// </summary>
    private static void Materialize(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (_, child) in o)
                {
                    Materialize(child);
                }

                break;
            case JsonArray a:
                foreach (var child in a)
                {
                    Materialize(child);
                }

                break;
        }
    }

    public static JsonObject WithResourceVersion(JsonObject obj, long resourceVersion)
    {
        var copy = (JsonObject)obj.DeepClone();
        SetResourceVersion(copy, resourceVersion);
        return copy;
    }

    public static void SetResourceVersion(JsonObject obj, long resourceVersion)
    {
        if (obj["metadata"] is not JsonObject meta)
        {
            obj["metadata"] = meta = [];
        }

        meta["resourceVersion"] = resourceVersion.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The bytes to store: the object without its resourceVersion.</summary>
    public static byte[] ToStored(JsonObject obj)
    {
        var meta = obj["metadata"] as JsonObject;
        var rv = meta?["resourceVersion"];
        meta?.Remove("resourceVersion");
        var bytes = JsonSerializer.SerializeToUtf8Bytes(obj);
        if (rv is not null)
        {
            meta!["resourceVersion"] = rv;
        }

        return bytes;
    }
}
