using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KvCluster.ApiServer.Storage;

/// <summary>
/// Stored objects served without building them: the stored JSON with metadata.resourceVersion
/// spliced in. A list of 10,000 pods is then one scan of each value, not a parse, a copy and a
/// serialization of every object.
/// </summary>
public static class RawJson
{
    private static readonly byte[] Metadata = "metadata"u8.ToArray();

    /// <summary>The object as served: <paramref name="json"/> (a stored object, which has no resourceVersion) with metadata.resourceVersion = <paramref name="resourceVersion"/>.</summary>
    public static byte[] WithResourceVersion(byte[] json, long resourceVersion)
    {
        var field = Encoding.UTF8.GetBytes($"\"resourceVersion\":\"{resourceVersion.ToString(CultureInfo.InvariantCulture)}\"");
        var at = MetadataStart(json);
        if (at < 0)
        {
            // No metadata object (never stored by this server): build the object the slow way.
            return JsonSerializer.SerializeToUtf8Bytes(ObjectJson.Parse(json, resourceVersion));
        }

        var empty = json[at] == (byte)'}';
        return [.. json.AsSpan(0, at), .. field, .. empty ? [] : ","u8, .. json.AsSpan(at)];
    }

    /// <summary>The offset just after the "{" of the top-level "metadata" object, or -1.</summary>
    private static int MetadataStart(byte[] json)
    {
        var reader = new Utf8JsonReader(json);
        while (reader.Read())
        {
            if (reader.CurrentDepth == 1 && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isMetadata = reader.ValueTextEquals(Metadata);
                reader.Read();
                if (isMetadata && reader.TokenType == JsonTokenType.StartObject)
                {
                    return (int)reader.BytesConsumed;
                }

                reader.Skip();
            }
        }

        return -1;
    }
}
