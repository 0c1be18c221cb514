using System.Collections;
using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using KvCluster.ApiServer.Protobuf.Wire.Options;

namespace KvCluster.ApiServer.Protobuf;

/// <summary>
/// Turns a decoded Kubernetes message into the JSON Kubernetes' Go types marshal to, by reflection over the wire schema.
/// Kubernetes' JSON names equal its proto field names (both come from the Go json tags), so names need no mapping.
/// </summary>
internal static class ProtoJson
{
    /// <summary>A field with its Go tag facts, read once per message type (GetOptions clones on every call).</summary>
    private sealed record Field(FieldDescriptor Descriptor, bool GoPointer, bool Inline, bool Always);

    private static readonly ConcurrentDictionary<MessageDescriptor, Field[]> Plans = new();

    /// <summary>Writes the message's fields into target as Go's JSON would, in declaration order (Go's struct order).</summary>
    public static void WriteFields(IMessage message, JsonObject target)
    {
        foreach (var field in PlanOf(message.Descriptor))
        {
            var d = field.Descriptor;
            if (d.IsMap || d.IsRepeated)
            {
                // The wire cannot tell a nil slice or map from an empty one; Go decodes both to nil (null when written).
                var items = (ICollection)d.Accessor.GetValue(message);
                if (items.Count > 0)
                {
                    target[d.Name] = d.IsMap ? MapValue(d, (IDictionary)items) : ListValue(d, (IList)items);
                }
                else if (field.Always)
                {
                    target[d.Name] = null;
                }
            }
            else if (d.FieldType == FieldType.Message)
            {
                // Go writes every non-pointer struct and no nil pointer, so presence is exactly Go's "non-nil".
                if (!d.Accessor.HasValue(message))
                {
                    if (field.Always)
                    {
                        target[d.Name] = null;
                    }
                }
                else if (field.Inline)
                {
                    WriteFields((IMessage)d.Accessor.GetValue(message), target);
                }
                else
                {
                    target[d.Name] = MessageValue((IMessage)d.Accessor.GetValue(message));
                }
            }
            else if (field.GoPointer)
            {
                // A pointer is on the wire only when non-nil, and then even a zero is a chosen value (replicas: 0).
                if (d.Accessor.HasValue(message))
                {
                    target[d.Name] = ScalarValue(d, d.Accessor.GetValue(message));
                }
                else if (field.Always)
                {
                    target[d.Name] = null;
                }
            }
            else
            {
                // Go writes non-pointer scalars even when zero, so a zero is simply Go's zero value: omitempty drops it.
                var value = d.Accessor.GetValue(message);
                if (field.Always || !IsZero(value))
                {
                    target[d.Name] = ScalarValue(d, value);
                }
            }
        }
    }

    /// <summary>A nested message's JSON: Kubernetes' special types have their own form, others are objects.</summary>
    public static JsonNode? MessageValue(IMessage message)
    {
        if (KubeWellKnown.TryConvert(message, out var special))
        {
            return special;
        }

        var json = new JsonObject();
        WriteFields(message, json);
        return json;
    }

    private static JsonObject MapValue(FieldDescriptor field, IDictionary map)
    {
        var valueField = field.MessageType.FindFieldByNumber(2);

        // Go's JSON writes map keys sorted (byte order); Kubernetes' map keys are all strings.
        var keys = new List<string>(map.Count);
        foreach (var key in map.Keys)
        {
            keys.Add((string)key);
        }

        keys.Sort(StringComparer.Ordinal);
        var json = new JsonObject();
        foreach (var key in keys)
        {
            json[key] = ElementValue(valueField, map[key]!);
        }

        return json;
    }

    private static JsonArray ListValue(FieldDescriptor field, IList list)
    {
        var json = new JsonArray();
        foreach (var item in list)
        {
            json.Add(ElementValue(field, item));
        }

        return json;
    }

    /// <summary>A map value or list item: always written, zero or not, as Go writes every element.</summary>
    private static JsonNode? ElementValue(FieldDescriptor field, object value) =>
        field.FieldType == FieldType.Message ? MessageValue((IMessage)value) : ScalarValue(field, value);

    private static JsonNode ScalarValue(FieldDescriptor field, object value) => value switch
    {
        string s => JsonValue.Create(s),
        ByteString b => JsonValue.Create(b.ToBase64()), // Go's encoding/json writes []byte as standard base64
        bool b => JsonValue.Create(b),
        int i => JsonValue.Create(i),
        long l => JsonValue.Create(l),
        uint u => JsonValue.Create(u),
        ulong u => JsonValue.Create(u),
        double d => JsonValue.Create(d),
        float f => JsonValue.Create(f),
        _ => throw new InvalidOperationException($"field {field.FullName} has an unsupported type {field.FieldType}"),
    };

    private static bool IsZero(object value) => value switch
    {
        string s => s.Length == 0,
        ByteString b => b.IsEmpty,
        bool b => !b,
        int i => i == 0,
        long l => l == 0,
        uint u => u == 0,
        ulong u => u == 0,
        double d => d == 0,
        float f => f == 0,
        _ => false,
    };

    private static Field[] PlanOf(MessageDescriptor message) =>
        Plans.GetOrAdd(message, static m => m.Fields.InDeclarationOrder()
            .Select(f =>
            {
                var options = f.GetOptions();
                return new Field(
                    f,
                    options?.GetExtension(GoTagsExtensions.GoPointer) ?? false,
                    options?.GetExtension(GoTagsExtensions.JsonInline) ?? false,
                    options?.GetExtension(GoTagsExtensions.JsonAlways) ?? false);
            })
            .ToArray());
}
