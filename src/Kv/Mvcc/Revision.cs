namespace KvCluster.Kv.Mvcc;

/// <summary>
/// A point in the store's history: <see cref="Main"/> is the store revision a write request took,
/// <see cref="Sub"/> orders the changes made by one request (a txn with several writes).
/// </summary>
public readonly record struct Revision(long Main, int Sub) : IComparable<Revision>
{
    // Packed layout (see Pack): main in bits 63..21 (42 bits), sub in bits 20..1, tombstone in bit 0.
    internal const int SubBits = 20;
    internal const int MaxSub = (1 << SubBits) - 1;

    public int CompareTo(Revision other) => Main != other.Main ? Main.CompareTo(other.Main) : Sub.CompareTo(other.Sub);

    /// <summary>Packs the revision and a tombstone flag into one ordered long; packed values sort as revisions do.</summary>
    internal long Pack(bool tombstone) => (Main << (SubBits + 1)) | ((long)Sub << 1) | (tombstone ? 1L : 0L);

    internal static Revision Unpack(long packed) => new(packed >>> (SubBits + 1), (int)((packed >> 1) & MaxSub));

    internal static bool IsTombstone(long packed) => (packed & 1) != 0;

    /// <summary>The smallest packed value of main revision <paramref name="main"/>.</summary>
    internal static long PackedFloor(long main) => main << (SubBits + 1);

    public static bool operator <(Revision a, Revision b) => a.CompareTo(b) < 0;
    public static bool operator >(Revision a, Revision b) => a.CompareTo(b) > 0;
    public static bool operator <=(Revision a, Revision b) => a.CompareTo(b) <= 0;
    public static bool operator >=(Revision a, Revision b) => a.CompareTo(b) >= 0;

    public override string ToString() => $"{Main}.{Sub}";
}
