namespace KvCluster.Kv.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>
    /// Cross-checks the index against FASTER: every revision the index holds has its record, and every
    /// record at or below the current revision is in the index. Returns the discrepancies (none when
    /// consistent). Reads the whole store: for tests and the `verify` tooling, not for hot paths.
    /// </summary>
    public IReadOnlyList<string> CheckConsistency()
    {
        var problems = new List<string>();
        long rev = Revision;
        var indexed = new HashSet<long>();
        foreach (var (packed, key) in _index.Revisions(rev))
        {
            var at = Mvcc.Revision.Unpack(packed);
            indexed.Add(packed & ~1L);
            var rec = _records.Read(at);
            if (rec is null)
            {
                problems.Add($"index has {at} for key {Convert.ToHexString(key)} but FASTER has no record");
                continue;
            }

            var kv = Storage.RecordCodec.Decode(rec, at.Main, out bool tombstone);
            if (!kv.Key.AsSpan().SequenceEqual(key) || tombstone != Mvcc.Revision.IsTombstone(packed))
            {
                problems.Add($"record {at} does not match its index entry");
            }
        }

        var latest = new Dictionary<Revision, bool>();
        foreach (var (at, record) in _records.Scan())
        {
            latest[at] = record is not null;
        }

        foreach (var (at, live) in latest)
        {
            if (live && at.Main <= rev && !indexed.Contains(at.Pack(false)))
            {
                problems.Add($"FASTER has record {at} that the index does not know");
            }
        }

        return problems;
    }
}
