using System.Buffers.Binary;
using System.Net;
using System.Text;
using DotNext.Buffers;
using DotNext.Net.Cluster.Consensus.Raft.Membership;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// The Raft membership, kept in member/raft/members: DotNext replicates configuration changes
/// through the log and saves each new version here, so a restarted member knows the members added
/// or removed since it was first started (as etcd ignores --initial-cluster on restart). A new member
/// starts from the --initial-cluster members; one joining an existing cluster from none (it waits for
/// the leader to add it).
/// </summary>
public sealed class FileClusterConfigurationStorage : PersistentClusterConfigurationStorage<EndPoint>
{
    public FileClusterConfigurationStorage(string path, IReadOnlyCollection<IPEndPoint> initialMembers)
        : base(path)
    {
        if (!File.Exists(path) && initialMembers.Count > 0)
        {
            WriteInitial(path, initialMembers);
        }
    }

    protected override void Encode(EndPoint address, ref BufferWriterSlim<byte> writer) => writer.Write(Encode(address));

    protected override EndPoint Decode(ref SequenceReader reader)
    {
        int length = reader.ReadLittleEndian<int>();
        var text = new byte[length];
        reader.Read(text);
        return IPEndPoint.Parse(Encoding.UTF8.GetString(text));
    }

    private static byte[] Encode(EndPoint address)
    {
        var text = Encoding.UTF8.GetBytes(address.ToString()!);
        var bytes = new byte[4 + text.Length];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, text.Length);
        text.CopyTo(bytes, 4);
        return bytes;
    }

    /// <summary>DotNext's layout: version 0 (int64), member count (int32), then each address as <see cref="Encode(EndPoint)"/> writes it.</summary>
    private static void WriteInitial(string path, IReadOnlyCollection<IPEndPoint> members)
    {
        using var buffer = new MemoryStream();
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteInt64LittleEndian(header, 0);
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], members.Count);
        buffer.Write(header);
        foreach (var ep in members)
        {
            buffer.Write(Encode(ep));
        }

        string temp = path + ".tmp";
        using (var f = new FileStream(temp, FileMode.Create, FileAccess.Write))
        {
            f.Write(buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
            f.Flush(flushToDisk: true);
        }

        File.Move(temp, path);
    }
}
