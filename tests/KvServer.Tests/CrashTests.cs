using System.Collections.Concurrent;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>Every write kvserver acknowledged survives kill -9; the restarted member serves them, and auth state too.</summary>
public sealed class CrashTests
{
    [Fact]
    public async Task AcknowledgedWritesSurviveKillNine()
    {
        await using var server = new KvServerProcess();
        await server.StartAsync();
        var acked = new ConcurrentDictionary<string, string>();
        using (var channel = GrpcChannel.ForAddress(server.Url))
        {
            var kv = new KV.KVClient(channel);
            using var stop = new CancellationTokenSource();
            var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (int i = 0; !stop.IsCancellationRequested && i < 100_000; i++)
                {
                    var key = $"crash/{w:D2}/{i % 500:D4}";
                    var value = $"{w}-{i}";
                    try
                    {
                        await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(value) });
                        acked[key] = value; // one writer per key prefix: the last ack is the value to find
                    }
                    catch (RpcException)
                    {
                        return; // the server died under us
                    }
                }
            })).ToArray();
            await Task.Delay(TimeSpan.FromSeconds(3));
            server.Kill();
            stop.Cancel();
            await Task.WhenAll(writers);
        }

        Assert.True(acked.Count > 100, $"only {acked.Count} writes were acknowledged before the kill");
        await server.StartAsync();
        using var after = GrpcChannel.ForAddress(server.Url);
        var range = await new KV.KVClient(after).RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("crash/"), RangeEnd = ByteString.CopyFromUtf8("crash0") });
        var found = range.Kvs.ToDictionary(kv => kv.Key.ToStringUtf8(), kv => kv.Value.ToStringUtf8());
        var lost = acked.Where(a => !found.TryGetValue(a.Key, out var v) || !Acks.Later(v, a.Value)).Select(a => a.Key).ToList();
        Assert.True(lost.Count == 0, $"{lost.Count} acknowledged writes lost, e.g. {string.Join(", ", lost.Take(5))}");
    }
}
