using System.Buffers.Binary;
using System.Numerics;

namespace KvCluster.Kv.Storage;

/// <summary>Incremental CRC-32C (Castagnoli), hardware-accelerated where the CPU has it.</summary>
internal struct Crc32C
{
    private uint _crc = uint.MaxValue;

    public Crc32C()
    {
    }

    public readonly uint Value => ~_crc;

    public void Append(ReadOnlySpan<byte> data)
    {
        uint crc = _crc;
        while (data.Length >= 8)
        {
            crc = BitOperations.Crc32C(crc, BinaryPrimitives.ReadUInt64LittleEndian(data));
            data = data[8..];
        }

        foreach (byte b in data)
        {
            crc = BitOperations.Crc32C(crc, b);
        }

        _crc = crc;
    }

    public void Append(long v)
    {
        Span<byte> b = stackalloc byte[8];
        BinaryPrimitives.WriteInt64BigEndian(b, v);
        Append(b);
    }
}
