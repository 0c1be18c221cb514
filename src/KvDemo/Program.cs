using System.Diagnostics;
using System.Text;
using KvCluster.Kv;
using KvCluster.Kv.Mvcc;
using KvCluster.Kv.Watch;
using Microsoft.Extensions.Logging;

// kvdemo: the engine's demonstration and test driver, until the etcd server (src/KvServer) exists.
//   kvdemo [--data-dir DIR] [--keys N]   a tour of the engine, then a load with progress, on DIR
//   kvdemo crash-writer DIR TAG          writes crash/TAG/<n> until killed, printing "ack <n> <rev>" after each durable put
//   kvdemo crash-writer-flush DIR TAG    the same with Sync off (as a Raft member's engine): acks only after FlushAsync
//   kvdemo verify DIR                    opens DIR, checks index against records, prints a summary
return args switch
{
    ["crash-writer", var dir, var tag] => await CrashWriter(dir, tag, sync: true),
    ["crash-writer-flush", var dir, var tag] => await CrashWriter(dir, tag, sync: false),
    ["verify", var dir] => Verify(dir),
    _ => await Demo(Flag("--data-dir") ?? Path.Combine(Environment.CurrentDirectory, ".kvdemo-data"), int.Parse(Flag("--keys") ?? "200000")),
};

string? Flag(string name)
{
    int i = Array.IndexOf(args, name);
    return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
}

static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

static string S(byte[] b) => Encoding.UTF8.GetString(b);

static void Log(string msg) => Console.WriteLine($"{DateTime.UtcNow:O} level=info {msg}");

static async Task<int> Demo(string dir, int keys)
{
    Log($"msg=\"opening store\" data_dir={dir}");
    using var logs = LoggerFactory.Create(b => b.AddSimpleConsole(o =>
    {
        o.SingleLine = true;
        o.UseUtcTimestamp = true;
        o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
    }).SetMinimumLevel(LogLevel.Information));
    await using var store = MvccStore.Open(new StoreOptions { DataDir = dir, Logger = logs.CreateLogger("kv") });
    Log($"msg=\"store open\" revision={store.Revision} compact_revision={store.CompactRevision} keys={store.IndexedKeys}");

    using var watch = store.Watch(new WatchRequest(B("demo/"), B("demo0")) { StartRevision = store.Revision + 1 });
    var put = await store.PutAsync(new PutRequest(B("demo/greeting"), B("hello")));
    Log($"msg=put key=demo/greeting revision={put.Revision}");
    var lease = await store.LeaseGrantAsync(0, 30);
    await store.PutAsync(new PutRequest(B("demo/session"), B("alive")) { Lease = lease.Id });
    var txn = await store.TxnAsync(new TxnRequest(
        [new Compare(CompareResult.Equal, CompareTarget.Value, B("demo/greeting")) { Value = B("hello") }],
        [RequestOp.Of(new PutRequest(B("demo/greeting"), B("hello, world")))],
        []));
    Log($"msg=txn succeeded={txn.Succeeded} revision={txn.Revision}");
    foreach (var kv in store.Range(new RangeRequest(B("demo/"), B("demo0"))).Kvs)
    {
        Log($"msg=range key={S(kv.Key)} value=\"{S(kv.Value)}\" create={kv.CreateRevision} mod={kv.ModRevision} version={kv.Version} lease={kv.Lease}");
    }

    await store.LeaseRevokeAsync(lease.Id);
    using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10)))
    {
        int seen = 0;
        while (seen < 4)
        {
            var r = await watch.Responses.ReadAsync(cts.Token);
            foreach (var e in r.Events)
            {
                seen++;
                Log($"msg=watch type={e.Type} key={S(e.Kv.Key)} revision={e.Kv.ModRevision}");
            }
        }
    }

    Log($"msg=\"loading\" keys={keys} batch=1000");
    var sw = Stopwatch.StartNew();
    var value = new byte[256];
    int done = 0;
    long rounds0 = store.CommitRounds;
    var progress = Task.Run(async () =>
    {
        while (Volatile.Read(ref done) < keys)
        {
            await Task.Delay(1000);
            Log($"msg=progress done={Volatile.Read(ref done)} total={keys} elapsed_s={sw.Elapsed.TotalSeconds:F1}");
        }
    });

    // Bulk load: batches of puts, each put its own revision, one WAL flush per batch at most.
    var batches = Enumerable.Range(0, keys).Chunk(1000);
    await Parallel.ForEachAsync(batches, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (chunk, ct) =>
    {
        var ops = chunk.Select(i => RequestOp.Of(new PutRequest(B($"load/{i:D10}"), value))).ToList();
        await store.ApplyAsync(ops, 0, ct);
        Interlocked.Add(ref done, chunk.Length);
    });
    await progress;
    Log($"msg=\"load done\" puts={keys} seconds={sw.Elapsed.TotalSeconds:F2} puts_per_s={keys / sw.Elapsed.TotalSeconds:F0} wal_flushes={store.CommitRounds - rounds0}");

    var compact = await store.CompactAsync(store.Revision, physical: true);
    Log($"msg=compacted revision={compact.Revision} hash={store.HashKv(0).Hash:x8}");
    return 0;
}

static async Task<int> CrashWriter(string dir, string tag, bool sync)
{
    // Small checkpoint threshold: the kill lands during checkpoints and WAL truncations too.
    await using var store = MvccStore.Open(new StoreOptions { DataDir = dir, CheckpointWalBytes = 1L << 20, Sync = sync });
    var stdout = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = false };
    var gate = new object();
    stdout.WriteLine($"ready {store.Revision}");
    stdout.Flush();
    long next = 0;
    await Task.WhenAll(Enumerable.Range(0, 64).Select(_ => Task.Run(async () =>
    {
        while (true)
        {
            long n = Interlocked.Increment(ref next);
            var r = await store.PutAsync(new PutRequest(B($"crash/{tag}/{n:D12}"), B($"value-{n}")));
            if (!sync)
            {
                await store.FlushAsync();
            }

            lock (gate)
            {
                stdout.WriteLine($"ack {n} {r.Revision}");
                stdout.Flush();
            }
        }
    })));
    return 0;
}

static int Verify(string dir)
{
    using var store = MvccStore.Open(new StoreOptions { DataDir = dir, ExpireLeases = false });
    var problems = store.CheckConsistency();
    Console.WriteLine($"revision={store.Revision} keys={store.IndexedKeys} problems={problems.Count}");
    foreach (var p in problems.Take(20))
    {
        Console.WriteLine(p);
    }

    return problems.Count == 0 ? 0 : 1;
}
