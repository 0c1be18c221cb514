using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Config;

namespace KvCluster.KvServer.Hosting;

/// <summary>
/// Who this member is: its ids, as etcd derives them (a member id from its peer URLs and the cluster
/// token; the cluster id from the member ids), and its URLs. Fills every response header.
/// </summary>
public sealed class LocalMember
{
    public LocalMember(ServerConfig config, Func<ulong>? term = null)
    {
        Name = config.Name;
        PeerUrls = [.. config.InitialAdvertisePeerUrls.Select(Url)];
        ClientUrls = [.. config.AdvertiseClientUrls.Select(Url)];
        Id = MemberIdOf(PeerUrls, config.InitialClusterToken);
        // The cluster id comes from every initial member's id, each from its own peer URLs.
        ClusterId = ClusterIdOf(config.InitialCluster
            .GroupBy(m => m.Name)
            .Select(g => g.Key == config.Name ? Id : MemberIdOf(g.Select(m => Url(m.PeerUrl)), config.InitialClusterToken)));
        _term = term ?? (() => 1);
    }

    private readonly Func<ulong> _term;

    public ulong Id { get; }

    /// <summary>Derived from the initial members; a member joining an existing cluster adopts the cluster's own.</summary>
    public ulong ClusterId { get; internal set; }

    public string Name { get; }

    public IReadOnlyList<string> PeerUrls { get; }

    public IReadOnlyList<string> ClientUrls { get; }

    public ulong Term => _term();

    public ResponseHeader Header(long revision) => new()
    {
        ClusterId = ClusterId,
        MemberId = Id,
        Revision = revision,
        RaftTerm = Term,
    };

    /// <summary>First 8 bytes (big-endian) of SHA-1 over the sorted peer URLs and the cluster token.</summary>
    public static ulong MemberIdOf(IEnumerable<string> peerUrls, string token)
    {
        var text = string.Concat(peerUrls.Order(StringComparer.Ordinal)) + token;
        return BinaryPrimitives.ReadUInt64BigEndian(SHA1.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>First 8 bytes (big-endian) of SHA-1 over the sorted member ids.</summary>
    public static ulong ClusterIdOf(IEnumerable<ulong> memberIds)
    {
        var ids = memberIds.Order().ToArray();
        var bytes = new byte[ids.Length * 8];
        for (int i = 0; i < ids.Length; i++)
        {
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(i * 8), ids[i]);
        }

        return BinaryPrimitives.ReadUInt64BigEndian(SHA1.HashData(bytes));
    }

    // etcd prints URLs without a trailing slash.
    private static string Url(Uri u) => u.GetLeftPart(UriPartial.Authority);
}
