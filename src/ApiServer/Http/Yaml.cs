using System.Text;
using System.Text.Json;
using KvCluster.ApiServer.Registry;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace KvCluster.ApiServer.Http;

/// <summary>YAML bodies to JSON (YamlDotNet), with YAML 1.1 scalars typed as Kubernetes' sigs.k8s.io/yaml types them.</summary>
internal static class Yaml
{
    public static byte[] ToJson(byte[] yaml)
    {
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(Encoding.UTF8.GetString(yaml)));
            if (stream.Documents.Count == 0)
            {
                return "{}"u8.ToArray();
            }

            using var buffer = new MemoryStream();
            using (var writer = new Utf8JsonWriter(buffer))
            {
                Write(writer, stream.Documents[0].RootNode);
            }

            return buffer.ToArray();
        }
        catch (YamlException e)
        {
            throw ApiException.BadRequest("error converting YAML to JSON: " + e.Message);
        }
    }

    private static void Write(Utf8JsonWriter w, YamlNode node)
    {
        switch (node)
        {
            case YamlMappingNode map:
                w.WriteStartObject();
                foreach (var (k, v) in map.Children)
                {
                    w.WritePropertyName(((YamlScalarNode)k).Value ?? "");
                    Write(w, v);
                }

                w.WriteEndObject();
                break;
            case YamlSequenceNode seq:
                w.WriteStartArray();
                foreach (var item in seq.Children)
                {
                    Write(w, item);
                }

                w.WriteEndArray();
                break;
            case YamlScalarNode scalar:
                WriteScalar(w, scalar);
                break;
            default:
                w.WriteNullValue();
                break;
        }
    }

    private static void WriteScalar(Utf8JsonWriter w, YamlScalarNode s)
    {
        var v = s.Value ?? "";
        if (s.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted or ScalarStyle.Literal or ScalarStyle.Folded)
        {
            w.WriteStringValue(v);
        }
        else if (v is "" or "~" or "null" or "Null" or "NULL")
        {
            w.WriteNullValue();
        }
        else if (v is "true" or "True" or "TRUE" or "false" or "False" or "FALSE")
        {
            w.WriteBooleanValue(v[0] is 't' or 'T');
        }
        else if (long.TryParse(v, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var l))
        {
            w.WriteNumberValue(l);
        }
        else if (double.TryParse(v, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var d) && v.Any(char.IsDigit))
        {
            w.WriteNumberValue(d);
        }
        else
        {
            w.WriteStringValue(v);
        }
    }
}
