using System.CommandLine;
using KvCluster.KvServer.Config;
using KvCluster.KvServer.Hosting;

// kvserver: an etcd v3 member. `kvserver [etcd flags]` serves; `kvserver snapshot restore FILE --data-dir DIR` restores a backup.
var flags = new ServerFlags();
var root = new RootCommand("kvserver: a KvCluster member speaking etcd's v3 API");
foreach (var option in flags.All)
{
    root.Options.Add(option);
}

root.SetAction(async (result, ct) =>
{
    ServerConfig config;
    try
    {
        config = flags.Bind(result, Environment.GetEnvironmentVariable);
    }
    catch (FormatException e)
    {
        Console.Error.WriteLine($"kvserver: {e.Message}");
        return 2;
    }

    var app = ServerHost.Build(config);
    await app.RunAsync(ct);
    return 0;
});

root.Subcommands.Add(SnapshotCommand.Create());
return await root.Parse(args).InvokeAsync();
