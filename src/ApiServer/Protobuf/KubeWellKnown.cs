using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Google.Protobuf;
using KvCluster.ApiServer.Registry;
using IntOrString = KvCluster.ApiServer.Protobuf.Wire.IntStr.IntOrString;
using MetaV1 = KvCluster.ApiServer.Protobuf.Wire.MetaV1;
using Quantity = KvCluster.ApiServer.Protobuf.Wire.Resource.Quantity;
using RawExtension = KvCluster.ApiServer.Protobuf.Wire.Runtime.RawExtension;

namespace KvCluster.ApiServer.Protobuf;

/// <summary>
/// Kubernetes types whose Go JSON form is not an object of their proto fields (they have custom MarshalJSON methods).
/// </summary>
internal static class KubeWellKnown
{
    public static bool TryConvert(IMessage message, out JsonNode? value)
    {
        switch (message)
        {
            case MetaV1.Time t:
                value = Timestamp(t.HasSeconds || t.HasNanos, t.Seconds, t.Nanos, "yyyy-MM-dd'T'HH:mm:ss'Z'");
                return true;
            case MetaV1.MicroTime t:
                value = Timestamp(t.HasSeconds || t.HasNanos, t.Seconds, t.Nanos, "yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'");
                return true;
            case MetaV1.Duration d:
                value = GoDuration.Format(d.Duration_);
                return true;
            case IntOrString v:
                // Type 1 is intstr.String; anything else is read as an int, as Go's IntOrString does.
                value = v.Type == 1 ? JsonValue.Create(v.StrVal) : JsonValue.Create(v.IntVal);
                return true;
            case Quantity q:
                // Go always writes the canonical string; a zero Quantity's string is "0".
                value = q.HasString ? q.String : "0";
                return true;
            case RawExtension r:
                value = EmbeddedJson(r.Raw);
                return true;
            case MetaV1.FieldsV1 f:
                value = EmbeddedJson(f.Raw);
                return true;
            default:
                value = null;
                return false;
        }
    }

    /// <summary>
    /// metav1.Time and MicroTime in UTC (Go formats them so). The zero time is encoded as an empty message and is JSON null,
    /// which is why "creationTimestamp": null appears in what kubectl sends.
    /// </summary>
    private static JsonNode? Timestamp(bool set, long seconds, int nanos, string format)
    {
        if (!set)
        {
            return null;
        }

        try
        {
            var time = DateTimeOffset.UnixEpoch.AddSeconds(seconds).AddTicks(nanos / 100);
            return time.UtcDateTime.ToString(format, CultureInfo.InvariantCulture);
        }
        catch (ArgumentOutOfRangeException)
        {
            // Go refuses to marshal such times too.
            throw ApiException.BadRequest("Time.MarshalJSON: year outside of range [0,9999]");
        }
    }

    /// <summary>Raw bytes that hold an object's JSON (or, in a protobuf body, possibly a nested k8s\0 message).</summary>
    private static JsonNode? EmbeddedJson(ByteString raw)
    {
        if (raw.IsEmpty)
        {
            return null;
        }

        if (KubeProtobuf.HasPrefix(raw.Span))
        {
            return KubeProtobuf.Decode(raw.ToByteArray());
        }

        try
        {
            return JsonNode.Parse(raw.Span);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest("the object provided is unrecognized: embedded JSON: " + e.Message);
        }
    }
}
