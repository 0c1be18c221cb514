using System.Diagnostics;
using Google.Protobuf;
using KvCluster.KvServer.Api;

namespace KvCluster.KvBench;

/// <summary>
/// Unary workloads, each a fixed number of requests shared by the clients: put, range, txn-put
/// (a txn of --txn-ops puts) and txn-mixed (txns that read or write one key, --rw-ratio reads per write).
/// </summary>
internal static class RequestWorkloads
{
    public static readonly string[] Names = ["put", "range", "txn-put", "txn-mixed"];

    public static async Task<Dictionary<string, object>> RunAsync(string workload, Load load)
    {
        var o = load.Opts;
        int total = o.Int("total", 10_000), keySize = o.Int("key-size", 8), valSize = o.Int("val-size", 8);
        int keySpace = Math.Max(o.Int("key-space-size", 1), 1), txnOps = Math.Max(o.Int("txn-ops", 1), 1);
        double rwRatio = double.Parse(o.Get("rw-ratio", "1"), System.Globalization.CultureInfo.InvariantCulture);
        bool sequential = o.Flag("sequential-keys");
        bool serializable = o.Get("consistency", "l") == "s";
        var rangeKey = ByteString.CopyFromUtf8(o.Get("key", "foo"));
        // etcd's `benchmark range key [end-range]`: --end E, or --prefix for every key starting with --key.
        var rangeEnd = o.Flag("prefix") ? PrefixEnd(rangeKey) : ByteString.CopyFromUtf8(o.Get("end", ""));
        var value = ByteString.CopyFrom(new byte[valSize]);
        using var recorder = new Recorder(workload, total);
        int next = -1;

        async Task ClientAsync(int c)
        {
            var kv = new KV.KVClient(load.Channel(c));
            var rnd = new Random(c);
            ByteString Key(int n)
            {
                var buf = new byte[keySize];
                int k = sequential ? n % keySpace : rnd.Next(keySpace);
                BitConverter.TryWriteBytes(buf.AsSpan(0, Math.Min(keySize, 4)), k);
                return ByteString.CopyFrom(buf);
            }

            while (Interlocked.Increment(ref next) is var n && n < total)
            {
                await load.PaceAsync();
                long start = Stopwatch.GetTimestamp();
                try
                {
                    switch (workload)
                    {
                        case "put":
                            await kv.PutAsync(new PutRequest { Key = Key(n), Value = value });
                            break;
                        case "range":
                            await kv.RangeAsync(new RangeRequest { Key = rangeKey, RangeEnd = rangeEnd, Serializable = serializable });
                            break;
                        case "txn-put":
                            var txn = new TxnRequest();
                            for (int i = 0; i < txnOps; i++)
                            {
                                txn.Success.Add(new RequestOp { RequestPut = new PutRequest { Key = Key(n), Value = value } });
                            }

                            await kv.TxnAsync(txn);
                            break;
                        default:
                            bool read = rnd.NextDouble() < rwRatio / (rwRatio + 1);
                            var op = read
                                ? new RequestOp { RequestRange = new RangeRequest { Key = Key(n), Serializable = serializable } }
                                : new RequestOp { RequestPut = new PutRequest { Key = Key(n), Value = value } };
                            await kv.TxnAsync(new TxnRequest { Success = { op } });
                            break;
                    }

                    recorder.Record(Stopwatch.GetTimestamp() - start);
                }
                catch (Grpc.Core.RpcException)
                {
                    recorder.Error();
                }
            }
        }

        await Task.WhenAll(Enumerable.Range(0, load.Clients).Select(c => Task.Run(() => ClientAsync(c))));
        var run = load.Describe(workload);
        if (workload == "range")
        {
            run["key"] = rangeKey.ToStringUtf8();
            run["range_end"] = rangeEnd.ToStringUtf8();
        }

        return recorder.Report(run, o.Get("json", ""));
    }

    /// <summary>etcd's GetPrefixRangeEnd: the key with its last byte below 0xff incremented and the rest cut; "\0" (all keys) if none.</summary>
    internal static ByteString PrefixEnd(ByteString key)
    {
        var end = key.ToByteArray();
        for (int i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return ByteString.CopyFrom(end, 0, i + 1);
            }
        }

        return ByteString.CopyFrom(0);
    }
}
