using System.CommandLine;
using KvCluster.Kv;
using KvCluster.Kv.Mvcc;

namespace KvCluster.KvServer.Hosting;

/// <summary>`kvserver snapshot restore FILE --data-dir DIR`: a new member's data dir from a Maintenance.Snapshot stream (etcdctl snapshot save).</summary>
public static class SnapshotCommand
{
    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "Snapshot file written by `etcdctl snapshot save`." };
        var dataDir = new Option<string>("--data-dir") { Description = "Path to the data directory to create.", Required = true };
        var restore = new Command("restore", "Restores a snapshot into a new data directory.");
        restore.Arguments.Add(file);
        restore.Options.Add(dataDir);
        restore.SetAction(result => Restore(result.GetValue(file)!, result.GetValue(dataDir)!));
        var snapshot = new Command("snapshot", "Snapshot commands.");
        snapshot.Subcommands.Add(restore);
        return snapshot;
    }

    /// <summary>Restores into <paramref name="dataDir"/>, which must not exist yet (as etcdctl snapshot restore insists).</summary>
    public static int Restore(string file, string dataDir)
    {
        if (Directory.Exists(dataDir) && Directory.EnumerateFileSystemEntries(dataDir).Any())
        {
            Console.Error.WriteLine($"Error: data-dir \"{dataDir}\" exists");
            return 1;
        }

        try
        {
            using var input = Maintenance.SnapshotFile.Open(file);
            using var store = MvccStore.Restore(input, new StoreOptions { DataDir = Path.Combine(dataDir, "member", "kv") });
            Console.WriteLine($"restored snapshot {file} into {dataDir} at revision {store.Revision} ({store.IndexedKeys} keys)");
            return 0;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or KvException)
        {
            Console.Error.WriteLine($"Error: {e.Message}");
            if (Directory.Exists(dataDir))
            {
                Directory.Delete(dataDir, recursive: true);
            }

            return 1;
        }
    }
}
