using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>
/// Bad input never takes the server down: random, truncated and mutated protobuf bodies to every RPC
/// of every service (taken from the descriptors, so none is forgotten), then normal requests still
/// return the right data. Seeded, so a failure reproduces.
/// </summary>
public sealed class FuzzTests
{
    private static readonly Marshaller<byte[]> Raw = Marshallers.Create(b => b, b => b);

    [Fact]
    public async Task RandomAndTruncatedBodiesToEveryRpcLeaveTheServerServing()
    {
        await using var server = new KvServerProcess();
        await server.StartAsync();
        using var channel = GrpcChannel.ForAddress(server.Url);
        var invoker = channel.CreateCallInvoker();
        var kv = new KV.KVClient(channel);
        await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("fuzz/keep"), Value = ByteString.CopyFromUtf8("safe") });

        var rng = new Random(20261125);
        var seeds = ValidMessages();
        var codes = new Dictionary<StatusCode, int>();
        var internals = new List<string>();
        int calls = 0;
        foreach (var service in RpcReflection.Descriptor.Services)
        {
            foreach (var method in service.Methods)
            {
                for (int i = 0; i < 6; i++)
                {
                    var body = Mutate(rng, seeds.TryGetValue(method.InputType.Name, out var seed) ? seed : [], i);
                    var (code, detail) = await CallAsync(invoker, service.FullName, method, body);
                    if (code == StatusCode.Internal)
                    {
                        internals.Add($"{method.FullName}: {detail}");
                    }

                    codes[code] = codes.GetValueOrDefault(code) + 1;
                    calls++;
                }
            }
        }

        Assert.True(calls >= 40 * 6, $"only {calls} calls: the descriptor walk missed services");
        // Any status is fine (garbage may even parse); a crash or a broken connection is not.
        Assert.False(codes.ContainsKey(StatusCode.Unavailable), Show(codes));
        // Internal only as grpc-go (and so etcd) uses it: for a body that does not parse.
        Assert.All(internals, d => Assert.Contains("grpc: error unmarshalling request", d));
        // Every bad input was answered by a deliberate error, not an exception the server did not expect.
        var unexpected = server.Output.Split('\n').Where(l => l.Contains("failed with an unexpected error")).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected.Take(5)));

        // Oversized: beyond --max-request-bytes + 512 KiB the transport refuses; just beyond --max-request-bytes etcd's error.
        var huge = await Assert.ThrowsAsync<RpcException>(async () => await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("big"), Value = ByteString.CopyFrom(new byte[2_200_000]) }));
        Assert.Equal(StatusCode.ResourceExhausted, huge.StatusCode);
        var large = await Assert.ThrowsAsync<RpcException>(async () => await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("big"), Value = ByteString.CopyFrom(new byte[1_600_000]) }));
        Assert.Equal((StatusCode.InvalidArgument, "etcdserver: request is too large"), (large.StatusCode, large.Status.Detail));

        // Unknown enum values are carried, not crashed on.
        var sorted = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("fuzz/"), RangeEnd = ByteString.CopyFromUtf8("fuzz0"), SortOrder = (RangeRequest.Types.SortOrder)42, SortTarget = (RangeRequest.Types.SortTarget)99 });
        var plain = await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("fuzz/"), RangeEnd = ByteString.CopyFromUtf8("fuzz0") });
        Assert.Equal(plain.Kvs.Select(x => x.Key).ToHashSet(), sorted.Kvs.Select(x => x.Key).ToHashSet());

        Assert.Equal("safe", (await kv.RangeAsync(new RangeRequest { Key = ByteString.CopyFromUtf8("fuzz/keep") })).Kvs.Single().Value.ToStringUtf8());
        var after = await kv.PutAsync(new PutRequest { Key = ByteString.CopyFromUtf8("fuzz/after"), Value = ByteString.CopyFromUtf8("ok") });
        Assert.True(after.Header.Revision > 2);
        using var http = new HttpClient();
        Assert.Contains("grpc_server_handled_total", await http.GetStringAsync($"{server.Url}/metrics"));
    }

    private static async Task<(StatusCode Code, string Detail)> CallAsync(CallInvoker invoker, string service, Google.Protobuf.Reflection.MethodDescriptor m, byte[] body)
    {
        var type = (m.IsClientStreaming, m.IsServerStreaming) switch
        {
            (false, false) => MethodType.Unary,
            (false, true) => MethodType.ServerStreaming,
            (true, false) => MethodType.ClientStreaming,
            _ => MethodType.DuplexStreaming,
        };
        var method = new Method<byte[], byte[]>(type, service, m.Name, Raw, Raw);
        var options = new CallOptions(deadline: DateTime.UtcNow.AddSeconds(5));
        try
        {
            switch (type)
            {
                case MethodType.Unary:
                    await invoker.AsyncUnaryCall(method, null, options, body);
                    break;
                case MethodType.ServerStreaming:
                    using (var call = invoker.AsyncServerStreamingCall(method, null, options, body))
                    {
                        while (await call.ResponseStream.MoveNext(CancellationToken.None))
                        {
                        }
                    }

                    break;
                default:
                    using (var call = invoker.AsyncDuplexStreamingCall(method, null, options))
                    {
                        await call.RequestStream.WriteAsync(body);
                        await call.RequestStream.WriteAsync(body);
                        await call.RequestStream.CompleteAsync();
                        while (await call.ResponseStream.MoveNext(CancellationToken.None))
                        {
                        }
                    }

                    break;
            }

            return (StatusCode.OK, "");
        }
        catch (RpcException e)
        {
            return (e.StatusCode, e.Status.Detail);
        }
    }

    /// <summary>Random bytes, a truncated valid message, a valid message with flipped bytes, or an empty body.</summary>
    private static byte[] Mutate(Random rng, byte[] seed, int round)
    {
        switch (round % 4)
        {
            case 0:
                var random = new byte[rng.Next(1, 300)];
                rng.NextBytes(random);
                return random;
            case 1:
                return seed.Length > 1 ? seed[..rng.Next(1, seed.Length)] : [0x0a, 0x05];
            case 2:
                var flipped = (byte[])seed.Clone();
                for (int i = 0; i < Math.Max(1, flipped.Length / 8); i++)
                {
                    if (flipped.Length > 0)
                    {
                        flipped[rng.Next(flipped.Length)] ^= (byte)rng.Next(1, 256);
                    }
                }

                return flipped;
            default:
                return round == 3 ? [] : seed;
        }
    }

    private static Dictionary<string, byte[]> ValidMessages()
    {
        var k = ByteString.CopyFromUtf8("fuzz/k");
        IMessage[] messages =
        [
            new RangeRequest { Key = k, RangeEnd = ByteString.CopyFromUtf8("fuzz0"), Limit = 3, Revision = 1 },
            new PutRequest { Key = k, Value = k, PrevKv = true },
            new DeleteRangeRequest { Key = k, PrevKv = true },
            new TxnRequest { Compare = { new Compare { Key = k, Target = Compare.Types.CompareTarget.Value, Value = k } }, Success = { new RequestOp { RequestPut = new PutRequest { Key = k, Value = k } } } },
            new CompactionRequest { Revision = 1 },
            new WatchRequest { CreateRequest = new WatchCreateRequest { Key = k, StartRevision = 1, PrevKv = true } },
            new LeaseGrantRequest { TTL = 30 },
            new LeaseKeepAliveRequest { ID = 1 },
            new AuthUserAddRequest { Name = "fuzzer", Password = "pw" },
            new AuthRoleGrantPermissionRequest { Name = "r", Perm = new Api.AuthPb.Permission { Key = k } },
            new AlarmRequest { Action = AlarmRequest.Types.AlarmAction.Get },
            new HashKVRequest { Revision = 1 },
        ];
        return messages.ToDictionary(m => m.Descriptor.Name, m => m.ToByteArray());
    }

    private static string Show(Dictionary<StatusCode, int> codes) => string.Join(", ", codes.Select(c => $"{c.Key}: {c.Value}"));
}
