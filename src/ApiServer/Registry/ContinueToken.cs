using System.Text;
using System.Text.Json;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// The continue token of a paged list: the revision of the first page and the last key returned, so
/// every page reads the same snapshot (base64 of a small JSON object, opaque to clients, as in Kubernetes).
/// </summary>
internal static class ContinueToken
{
    private sealed record Token(string v, long rv, string start);

    public static string Encode(long revision, string lastKey) =>
        Convert.ToBase64String(JsonSerializer.SerializeToUtf8Bytes(new Token("meta.k8s.io/v1", revision, lastKey)));

    public static (long Revision, string LastKey) Decode(string token)
    {
        try
        {
            var t = JsonSerializer.Deserialize<Token>(Encoding.UTF8.GetString(Convert.FromBase64String(token)));
            if (t is null || t.v != "meta.k8s.io/v1" || t.rv <= 0 || string.IsNullOrEmpty(t.start))
            {
                throw new FormatException();
            }

            return (t.rv, t.start);
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            throw ApiException.BadRequest("continue key is not valid: " + e.Message);
        }
    }
}
