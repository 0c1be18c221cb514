namespace KvCluster.Kv.Mvcc;

public sealed partial class MvccStore
{
    /// <summary>Where FASTER keeps its hash-index checkpoints, below the records directory.</summary>
    private static readonly string IndexCheckpointsDir = $"{Path.DirectorySeparatorChar}index-checkpoints{Path.DirectorySeparatorChar}";

    /// <summary>
    /// Bytes the store's files take on disk (records, WAL, checkpoints): etcd's db size, what the
    /// quota counts. Not FASTER's hash-index checkpoint: it is the fixed-size table
    /// (<see cref="Storage.StorageOptions.IndexBytes"/>, 16 MiB) whatever the data, and counting it
    /// would put an empty store over a small --quota-backend-bytes as soon as it first checkpoints.
    /// </summary>
    public long DiskBytes
    {
        get
        {
            long total = 0;
            foreach (var f in new DirectoryInfo(_options.DataDir).EnumerateFiles("*", SearchOption.AllDirectories))
            {
                if (f.DirectoryName?.Contains(IndexCheckpointsDir, StringComparison.Ordinal) == true)
                {
                    continue;
                }

                try
                {
                    total += f.Length;
                }
                catch (FileNotFoundException)
                {
                    // Removed by a checkpoint or log truncation while we listed it.
                }
            }

            return total;
        }
    }

    /// <summary>
    /// etcd's defragment: gives back the space of deleted records now rather than at the next
    /// compaction, by compacting FASTER's log and checkpointing so the WAL before it is dropped.
    /// </summary>
    public async Task DefragmentAsync(CancellationToken ct = default)
    {
        await _compactGate.WaitAsync(ct).ConfigureAwait(false);
        try
        {
            await Task.Run(_records.CompactLog, ct).ConfigureAwait(false);
        }
        finally
        {
            _compactGate.Release();
        }

        await CheckpointAsync(ct).ConfigureAwait(false);
    }
}
