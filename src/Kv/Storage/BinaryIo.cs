namespace KvCluster.Kv.Storage;

/// <summary>Length-prefixed byte arrays for the WAL, meta and snapshot formats.</summary>
internal static class BinaryIo
{
    public static void WriteBytes(this BinaryWriter w, byte[] b)
    {
        w.Write7BitEncodedInt(b.Length);
        w.Write(b);
    }

    public static byte[] ReadBytes(this BinaryReader r)
    {
        int n = r.Read7BitEncodedInt();
        var b = r.ReadBytes(n);
        if (b.Length != n)
        {
            throw new EndOfStreamException();
        }

        return b;
    }
}
