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
}
