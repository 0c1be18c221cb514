using System.Text.Json.Nodes;
using Google.Protobuf;
using KvCluster.ApiServer.Protobuf.Wire.Runtime;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Protobuf;

/// <summary>
/// Decodes request bodies sent as application/vnd.kubernetes.protobuf (kubectl's typed commands send these) into the
/// object's Kubernetes JSON, so that the rest of the server only ever handles JSON.
/// </summary>
internal static class KubeProtobuf
{
    public const string ContentType = "application/vnd.kubernetes.protobuf";

    /// <summary>"k8s\0": Kubernetes puts it before the runtime.Unknown envelope so a body can be told from JSON.</summary>
    private static ReadOnlySpan<byte> Prefix => [0x6b, 0x38, 0x73, 0x00];

    /// <summary>The object in the envelope as JSON, with apiVersion and kind from the envelope's TypeMeta.</summary>
    public static JsonObject Decode(byte[] body)
    {
        // Kubernetes' own messages for these cases (runtime/serializer/protobuf), so clients see familiar errors.
        if (body.Length == 0)
        {
            throw ApiException.BadRequest("empty data");
        }

        if (!body.AsSpan().StartsWith(Prefix))
        {
            throw ApiException.BadRequest("provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]");
        }

        if (body.Length == Prefix.Length)
        {
            throw ApiException.BadRequest("empty body");
        }

        var envelope = (Unknown)Parse(Unknown.Parser, body.AsSpan(Prefix.Length));
        var apiVersion = envelope.TypeMeta?.ApiVersion ?? "";
        var kind = envelope.TypeMeta?.Kind ?? "";
        if (kind.Length == 0)
        {
            throw ApiException.BadRequest($"Object 'Kind' is missing in '{{\"apiVersion\":\"{apiVersion}\"}}'");
        }

        if (apiVersion.Length == 0)
        {
            throw ApiException.BadRequest($"Object 'apiVersion' is missing in '{{\"kind\":\"{kind}\"}}'");
        }

        var parser = KubeKinds.Find(apiVersion, kind)
            ?? throw ApiException.BadRequest(
                $"no kind \"{kind}\" is registered for version \"{apiVersion}\" in scheme \"k8s.io/kubernetes/pkg/api/legacyscheme/scheme.go:30\"");
        var message = Parse(parser, envelope.Raw.Span);

        var json = new JsonObject { ["apiVersion"] = apiVersion, ["kind"] = kind };
        ProtoJson.WriteFields(message, json);
        return json;
    }

    /// <summary>True when the body starts with the "k8s\0" prefix (a RawExtension may hold such an object).</summary>
    public static bool HasPrefix(ReadOnlySpan<byte> data) => data.StartsWith(Prefix);

    private static IMessage Parse(MessageParser parser, ReadOnlySpan<byte> data)
    {
        try
        {
            return parser.ParseFrom(data);
        }
        catch (InvalidProtocolBufferException e)
        {
            throw ApiException.BadRequest("the object provided is unrecognized: " + e.Message);
        }
    }
}
