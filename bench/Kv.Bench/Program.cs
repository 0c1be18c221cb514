using BenchmarkDotNet.Running;
using KvCluster.Kv.Bench;

// dotnet run -c Release --project bench/Kv.Bench -- throughput [--keys N] [--put-seconds S] [--range-seconds S]
// dotnet run -c Release --project bench/Kv.Bench -- puts [--keys N] [--single]   (new-key puts alone, for profiles)
// dotnet run -c Release --project bench/Kv.Bench -- [BenchmarkDotNet arguments, e.g. --filter '*' --job short]
if (args is ["throughput", ..])
{
    long keys = Arg("--keys") is { } k ? long.Parse(k) : 1_000_000;
    double putSeconds = Arg("--put-seconds") is { } p ? double.Parse(p) : 10;
    double rangeSeconds = Arg("--range-seconds") is { } s ? double.Parse(s) : 5;
    return await Throughput.RunAsync(keys, TimeSpan.FromSeconds(putSeconds), TimeSpan.FromSeconds(rangeSeconds));
}

if (args is ["puts", ..])
{
    long keys = Arg("--keys") is { } k ? long.Parse(k) : 1_000_000;
    return await Throughput.PutsOnlyAsync(keys, args.Contains("--single"));
}

BenchmarkSwitcher.FromAssembly(typeof(BenchStore).Assembly).Run(args);
return 0;

string? Arg(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}
