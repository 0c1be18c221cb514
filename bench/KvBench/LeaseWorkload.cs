using System.Diagnostics;
using Grpc.Core;
using KvCluster.KvServer.Api;

namespace KvCluster.KvBench;

/// <summary>
/// lease-keepalive: each client grants a lease (TTL 60 s) and renews it over its own keep-alive
/// stream, one request in flight at a time; --total renewals in all. A sample is one renewal's
/// round trip. The leases are revoked at the end.
/// </summary>
internal static class LeaseWorkload
{
    public static async Task<Dictionary<string, object>> RunAsync(Load load)
    {
        int total = load.Opts.Int("total", 10_000);
        using var recorder = new Recorder("lease keep-alives", total);
        int next = -1;

        async Task ClientAsync(int c)
        {
            var lease = new Lease.LeaseClient(load.Channel(c));
            var grant = await lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 60 });
            using var call = lease.LeaseKeepAlive();
            try
            {
                while (Interlocked.Increment(ref next) < total)
                {
                    await load.PaceAsync();
                    long start = Stopwatch.GetTimestamp();
                    await call.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = grant.ID });
                    if (!await call.ResponseStream.MoveNext(CancellationToken.None) || call.ResponseStream.Current.TTL <= 0)
                    {
                        recorder.Error();
                        continue;
                    }

                    recorder.Record(Stopwatch.GetTimestamp() - start);
                }

                await call.RequestStream.CompleteAsync();
            }
            catch (RpcException)
            {
                recorder.Error();
            }
            finally
            {
                await lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = grant.ID });
            }
        }

        await Task.WhenAll(Enumerable.Range(0, load.Clients).Select(c => Task.Run(() => ClientAsync(c))));
        return recorder.Report(load.Describe("lease-keepalive"), load.Opts.Get("json", ""));
    }
}
