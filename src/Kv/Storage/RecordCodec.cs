using System.Buffers.Binary;
using KvCluster.Kv.Mvcc;

namespace KvCluster.Kv.Storage;

/// <summary>
/// The byte layout of one stored revision (a put or a delete of one key):
/// <code>flags(1: bit0 = tombstone) | create varint | version varint | lease varint | keyLen varint | key | value</code>
/// The mod revision is not stored: it is the record's own revision (its FASTER key).
/// </summary>
internal static class RecordCodec
{
    public const int RecordKeySize = 13;
    private const byte RecordTag = (byte)'R';

    public static byte[] Encode(byte[] key, byte[] value, long create, long version, long lease, bool tombstone)
    {
        var buf = new byte[EncodedSize(key.Length, value.Length, create, version, lease)];
        EncodeTo(buf, key, value, create, version, lease, tombstone);
        return buf;
    }

    /// <summary>Bytes of the record of a key and value of these lengths.</summary>
    public static int EncodedSize(int keyLength, int valueLength, long create, long version, long lease) =>
        1 + VarintSize(create) + VarintSize(version) + VarintSize(lease) + VarintSize(keyLength) + keyLength + valueLength;

    /// <summary>Writes the record into <paramref name="dst"/>, exactly <see cref="EncodedSize"/> bytes long.</summary>
    public static void EncodeTo(Span<byte> dst, byte[] key, byte[] value, long create, long version, long lease, bool tombstone)
    {
        int p = 0;
        dst[p++] = tombstone ? (byte)1 : (byte)0;
        p += WriteVarint(dst[p..], create);
        p += WriteVarint(dst[p..], version);
        p += WriteVarint(dst[p..], lease);
        p += WriteVarint(dst[p..], key.Length);
        key.CopyTo(dst[p..]);
        p += key.Length;
        value.CopyTo(dst[p..]);
    }

    /// <summary>
    /// The KeyValue of a record. <paramref name="key"/>, when given, is the index's own array of the record's key:
    /// it is shared instead of copying the record's (a read of a key already knows it; keys are never changed in place).
    /// </summary>
    public static KeyValue Decode(ReadOnlySpan<byte> rec, long modRevision, out bool tombstone, byte[]? key = null)
    {
        tombstone = (rec[0] & 1) != 0;
        int p = 1;
        long create = ReadVarint(rec, ref p);
        long version = ReadVarint(rec, ref p);
        long lease = ReadVarint(rec, ref p);
        int keyLen = (int)ReadVarint(rec, ref p);
        if (key is null || key.Length != keyLen)
        {
            key = rec.Slice(p, keyLen).ToArray();
        }

        var value = rec[(p + keyLen)..].ToArray();
        return new KeyValue(key, value, create, modRevision, version, lease);
    }

    /// <summary>The FASTER key of a revision: tag, big-endian main, big-endian sub.</summary>
    public static void WriteRecordKey(Span<byte> dst, Revision rev)
    {
        dst[0] = RecordTag;
        BinaryPrimitives.WriteInt64BigEndian(dst[1..], rev.Main);
        BinaryPrimitives.WriteInt32BigEndian(dst[9..], rev.Sub);
    }

    public static bool TryReadRecordKey(ReadOnlySpan<byte> key, out Revision rev)
    {
        if (key.Length != RecordKeySize || key[0] != RecordTag)
        {
            rev = default;
            return false;
        }

        rev = new Revision(BinaryPrimitives.ReadInt64BigEndian(key[1..]), BinaryPrimitives.ReadInt32BigEndian(key[9..]));
        return true;
    }

    public static int VarintSize(long v)
    {
        ulong u = (ulong)v;
        int n = 1;
        while (u >= 0x80)
        {
            u >>= 7;
            n++;
        }

        return n;
    }

    /// <summary>Unsigned LEB128; for non-negative ints the same bytes as BinaryWriter.Write7BitEncodedInt.</summary>
    public static int WriteVarint(Span<byte> dst, long v)
    {
        ulong u = (ulong)v;
        int i = 0;
        while (u >= 0x80)
        {
            dst[i++] = (byte)(u | 0x80);
            u >>= 7;
        }

        dst[i++] = (byte)u;
        return i;
    }

    public static long ReadVarint(ReadOnlySpan<byte> src, ref int p)
    {
        ulong result = 0;
        int shift = 0;
        while (true)
        {
            byte b = src[p++];
            result |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return (long)result;
            }

            shift += 7;
            if (shift > 63)
            {
                throw KvException.Corrupt("varint too long");
            }
        }
    }
}
