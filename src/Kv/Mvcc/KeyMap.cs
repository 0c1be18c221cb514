namespace KvCluster.Kv.Mvcc;

/// <summary>
/// Key bytes → <see cref="KeyIndex"/>: the hash map beside the ordered tree that answers single-key
/// lookups. One writer at a time (the caller serializes them); readers need no lock.
/// <para>
/// Open addressing with linear probing over one array of slots (the key's hash, the key and its
/// KeyIndex: 24 bytes), at most half full. On a store of a million keys every object a lookup touches is
/// a cache miss, and the commonest read of the engine is bounded by them: here the slot, then the key's
/// bytes and the KeyIndex, both addressed by the slot so the processor fetches them at once. A chained
/// map (ConcurrentDictionary) reads the bucket, then the node, then the key, then the KeyIndex, each
/// load waiting for the one before.
/// </para>
/// <para>
/// How readers stay safe without a lock: a slot only ever goes empty → used → removed (never reused
/// while its table is current); the writer sets a slot's hash and key before it publishes the KeyIndex
/// (release), a reader reads the KeyIndex first (acquire), then the hash and key. Growing, or dropping
/// removed slots, builds a new table and publishes it whole; the old one is never written again, so a
/// reader still probing it sees the map as it was just before.
/// </para>
/// </summary>
internal sealed class KeyMap
{
    private const int MinCapacity = 16;

    // Marks a removed slot: probing goes on past it.
    private static readonly KeyIndex Removed = new([]);

    private Table _table = new(MinCapacity);

    /// <summary>Keys in the map.</summary>
    public int Count { get; private set; }

    public bool TryGetValue(byte[] key, out KeyIndex value)
    {
        // The KeyIndex the probe read, not the slot read again: the writer may mark it removed meanwhile.
        return IndexOf(Volatile.Read(ref _table).Slots, key, out value) >= 0;
    }

    /// <summary>Adds a key that is not in the map (the writer checked). The KeyIndex's key is the map's key.</summary>
    public void Add(KeyIndex value)
    {
        var table = _table;
        if ((table.Used + 1) * 2 > table.Slots.Length)
        {
            table = Rebuild(Count + 1);
        }

        Insert(table, Hash(value.Key), value);
        Count++;
    }

    /// <summary>Removes a key; false when it was not there.</summary>
    public bool Remove(byte[] key)
    {
        var slots = _table.Slots;
        int i = IndexOf(slots, key, out _);
        if (i < 0)
        {
            return false;
        }

        Volatile.Write(ref slots[i].Value, Removed);
        Count--;
        return true;
    }

    /// <summary>Slots in the current table (for tests: growth and the dropping of removed slots).</summary>
    internal int Capacity => _table.Slots.Length;

    // The slot holding the key and its KeyIndex, or -1; probing stops at the first empty slot and goes on past removed ones.
    private static int IndexOf(Slot[] slots, byte[] key, out KeyIndex found)
    {
        int hash = Hash(key);
        int mask = slots.Length - 1;
        for (int i = hash & mask; ; i = (i + 1) & mask)
        {
            var ki = Volatile.Read(ref slots[i].Value);
            if (ki is null)
            {
                found = null!;
                return -1;
            }

            if (slots[i].Hash == hash && !ReferenceEquals(ki, Removed) && key.AsSpan().SequenceEqual(slots[i].Key))
            {
                found = ki;
                return i;
            }
        }
    }

    private static void Insert(Table table, int hash, KeyIndex value)
    {
        var slots = table.Slots;
        int mask = slots.Length - 1;
        int i = hash & mask;
        while (slots[i].Value is not null)
        {
            i = (i + 1) & mask;
        }

        slots[i].Hash = hash;
        slots[i].Key = value.Key;
        Volatile.Write(ref slots[i].Value, value);
        table.Used++;
    }

    // A new table for `live` keys, at most 3/8 full (so at least an eighth of it fills before the next rebuild),
    // holding the live entries of the current one; published whole. Compiled fully optimized at once: it runs a few
    // times in a store's life, so tiered compilation would leave it in unoptimized code, where a perf profile of
    // a million new keys found it at 13 % of the samples (copying tables of millions of slots).
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveOptimization)]
    private Table Rebuild(int live)
    {
        int capacity = MinCapacity;
        while ((long)live * 8 > (long)capacity * 3)
        {
            capacity *= 2;
        }

        var next = new Table(capacity);
        foreach (var slot in _table.Slots)
        {
            if (slot.Value is { } ki && !ReferenceEquals(ki, Removed))
            {
                Insert(next, slot.Hash, ki);
            }
        }

        Volatile.Write(ref _table, next);
        return next;
    }

    private static int Hash(byte[] key) => ByteArrayComparer.Instance.GetHashCode(key);

    private struct Slot
    {
        public int Hash;
        public byte[]? Key;
        public KeyIndex? Value;
    }

    private sealed class Table(int capacity)
    {
        public readonly Slot[] Slots = new Slot[capacity];

        /// <summary>Slots holding a key or a removed mark (only the writer reads it).</summary>
        public int Used;
    }
}
