using KvCluster.Bench;
using KvCluster.ApiBench;

// apibench: a load generator for the Kubernetes REST API, in the manner of kvbench (bench/KvBench).
//   apibench create --total 10000 --clients 64 --body-bytes 3072            POSTs of new pods
//   apibench get    --total 10000 --clients 64                              GETs of existing pods by name
//   apibench list   --pods 10000 --rounds 5 [--page-size 500]               consistent, cached (rv=0) and paged lists
//   apibench watch  --watchers 1000 --events 200 --rate 100 [--op create|patch]   write-to-watcher delivery latency
//   apibench podstart --pods 100 --node NAME [--rate 0] [--clients 8]            create → Running (watch) on a node agent
// Common: --kubeconfig FILE (default $KUBECONFIG, then ~/.kube/config), --namespace NS (default apibench),
// --conns N (default --clients), --http2, --timeout-seconds S (default 60), --json [FILE].
// Progress goes to stderr once a second; the summary to stdout. --json: one JSON object on stdout (the
// summary goes to stderr); --json FILE: the JSON object into FILE, as kvbench's --json.
const string Usage = """
    usage: apibench create|get|list|watch|podstart [flags]
      create --total N --clients C [--conns N] [--body-bytes B]
      get    --total N --clients C [--conns N] [--pods P (created when the namespace has none)]
      list   --pods N --rounds R [--page-size 500] [--clients C (to create missing pods)]
      watch  --watchers W --events E --rate R [--op create|patch] [--objects K] [--value-bytes B] [--conns N]
             [--from cached|consistent] [--open-concurrency 64] [--open-seconds 120] [--drain-seconds 10] [--keep]
      podstart --pods N --node NAME [--rate R (pods/s; 0 = all at once)] [--clients C] [--keep]
      common: --kubeconfig FILE --namespace NS --http2 --timeout-seconds S --json [FILE]
    """;
if (args.Length == 0 || args[0] is not ("create" or "get" or "list" or "watch" or "podstart"))
{
    Console.Error.WriteLine(Usage);
    return 2;
}

Report report;
try
{
    var opts = Options.Parse(args.Skip(1));
    var json = opts.Get("json", "");
    var api = new Api(KubeTarget.Load(opts.Get("kubeconfig", KubeTarget.DefaultPath())), opts);
    IWorkload workload = args[0] switch
    {
        "create" => new CreateBench(api, opts),
        "get" => new GetBench(api, opts),
        "list" => new ListBench(api, opts),
        "podstart" => new PodStartBench(api, opts),
        _ => new WatchBench(api, opts),
    };
    opts.RejectUnknown();
    report = await workload.RunAsync();
    report.Write(json);
}
catch (Exception e) when (e is ArgumentException or FileNotFoundException or FormatException)
{
    Console.Error.WriteLine("apibench: " + e.Message);
    Console.Error.WriteLine(Usage);
    return 2;
}
catch (Exception e) when (e is InvalidOperationException or HttpRequestException)
{
    Console.Error.WriteLine($"apibench {args[0]}: {e.Message}{(e.InnerException is { } inner ? " (" + inner.Message + ")" : "")}");
    return 1;
}

return report.Errors > 0 ? 1 : 0;
