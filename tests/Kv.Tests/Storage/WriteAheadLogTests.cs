using KvCluster.Kv.Storage;

namespace KvCluster.Kv.Tests.Storage;

/// <summary>
/// The WAL writes its commit-metadata file only every so many commits; recovery must still find every
/// commit after the last file, by scanning the log forward for the commit records.
/// </summary>
public sealed class WriteAheadLogTests
{
    [Fact]
    public void EveryCommitSurvivesACrashWellPastTheLastCommitFile()
    {
        string dir = TempStore.NewDir();
        try
        {
            const int commits = 2_500; // more than two commit-file intervals
            var wal = new WriteAheadLog(dir);
            for (int i = 1; i <= commits; i++)
            {
                wal.Append(new WalEntry(WalEntryType.LeaseGrant, i) { LeaseId = i, LeaseTtl = 60 });
                wal.Commit();
            }

            // A crash: the first log is never disposed (disposing could write more), and a second one
            // recovers from what is on disk.
            using (var recovered = new WriteAheadLog(dir))
            {
                var ids = recovered.ReadFrom(0).Select(b => WalEntry.Decode(b).LeaseId).ToList();
                Assert.Equal(Enumerable.Range(1, commits).Select(i => (long)i), ids);
            }

            wal.Dispose();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Each_commit_records_its_flush_in_the_fsync_histogram()
    {
        string dir = TempStore.NewDir();
        var seen = new List<double>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == "KvCluster.Kv" && instrument.Name == "etcd_disk_wal_fsync_duration_seconds")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        // Other tests' stores may commit meanwhile (the instrument is shared): at least this log's commits are seen.
        listener.SetMeasurementEventCallback<double>((_, value, _, _) =>
        {
            lock (seen)
            {
                seen.Add(value);
            }
        });
        listener.Start();
        try
        {
            using var wal = new WriteAheadLog(dir);
            int before;
            lock (seen)
            {
                before = seen.Count;
            }

            for (int i = 1; i <= 5; i++)
            {
                wal.Append(new WalEntry(WalEntryType.LeaseGrant, i) { LeaseId = i, LeaseTtl = 60 });
                wal.Commit();
            }

            lock (seen)
            {
                Assert.True(seen.Count - before >= 5, $"{seen.Count - before} flushes recorded for 5 commits");
                Assert.All(seen, v => Assert.True(v >= 0 && v < 60));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
