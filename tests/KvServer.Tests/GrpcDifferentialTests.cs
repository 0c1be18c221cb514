using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>
/// Edge-case requests etcdctl cannot send (unknown enum values, empty compare keys, undecodable
/// bodies, compaction of a fresh store), over raw gRPC to a real etcd 3.4.23 and to kvserver, in the
/// same order: the outcomes (status code and message, or the answer's significant fields) must match.
/// </summary>
public sealed class GrpcDifferentialTests
{
    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static Compare Cmp(Compare.Types.CompareTarget target, Compare.Types.CompareResult result, string key = "k") =>
        new() { Key = B(key), Target = target, Result = result, Version = 1 };

    private static TxnRequest Txn(params Compare[] compares)
    {
        var t = new TxnRequest { Success = { new RequestOp { RequestRange = new RangeRequest { Key = B("k") } } } };
        t.Compare.AddRange(compares);
        return t;
    }

    /// <summary>One scenario step: a name and the call, answering a comparable outcome.</summary>
    private static IEnumerable<(string Name, Func<GrpcChannel, Task<string>> Call)> Steps()
    {
        yield return ("hashkv on a fresh store", c => Outcome(async () => await new Api.Maintenance.MaintenanceClient(c).HashKVAsync(new HashKVRequest()), r => $"compact_revision={r.CompactRevision}"));
        yield return ("compact 0 on a fresh store", c => Outcome(async () => await new KV.KVClient(c).CompactAsync(new CompactionRequest { Revision = 0 }), _ => "ok"));
        yield return ("compact 0 again", c => Outcome(async () => await new KV.KVClient(c).CompactAsync(new CompactionRequest { Revision = 0 }), _ => "ok"));
        yield return ("hashkv after compact 0", c => Outcome(async () => await new Api.Maintenance.MaintenanceClient(c).HashKVAsync(new HashKVRequest()), r => $"compact_revision={r.CompactRevision}"));
        yield return ("put k", c => Outcome(async () => await new KV.KVClient(c).PutAsync(new PutRequest { Key = B("k"), Value = B("v") }), r => $"rev={r.Header.Revision}"));
        foreach (var (name, txn) in new[]
        {
            ("unknown compare target, EQUAL", Txn(Cmp((Compare.Types.CompareTarget)9, Compare.Types.CompareResult.Equal))),
            ("unknown compare target, GREATER", Txn(Cmp((Compare.Types.CompareTarget)9, Compare.Types.CompareResult.Greater))),
            ("unknown compare result", Txn(Cmp(Compare.Types.CompareTarget.Version, (Compare.Types.CompareResult)9))),
            ("unknown compare target and result on a missing key", Txn(Cmp((Compare.Types.CompareTarget)7, (Compare.Types.CompareResult)7, "missing"))),
            ("value compare on a missing key", Txn(new Compare { Key = B("missing"), Target = Compare.Types.CompareTarget.Value, Result = Compare.Types.CompareResult.Equal })),
            ("empty compare key", Txn(Cmp(Compare.Types.CompareTarget.Version, Compare.Types.CompareResult.Equal, ""))),
        })
        {
            yield return (name, c => Outcome(async () => await new KV.KVClient(c).TxnAsync(txn), r => $"succeeded={r.Succeeded} rev={r.Header.Revision}"));
        }

        yield return ("range with unknown sort order and target", c => Outcome(
            async () => await new KV.KVClient(c).RangeAsync(new RangeRequest { Key = B("k"), SortOrder = (RangeRequest.Types.SortOrder)5, SortTarget = (RangeRequest.Types.SortTarget)9 }),
            r => $"count={r.Count}"));
        yield return ("undecodable range body", c => Outcome(() => Raw(c, "/etcdserverpb.KV/Range", [0x0a, 0xff, 0x01]), _ => "ok"));
        yield return ("undecodable put body", c => Outcome(() => Raw(c, "/etcdserverpb.KV/Put", [0x12]), _ => "ok"));
    }

    [Fact]
    public async Task EdgeCaseRequestsAnswerAsEtcdDoes()
    {
        Assert.True(EtcdProcess.Available, "etcd 3.4.23 must be installed (scripts/test.sh installs it)");
        await using var etcd = new EtcdProcess();
        await using var ours = new KvServerProcess();
        await Task.WhenAll(etcd.StartAsync(), ours.StartAsync());
        using var etcdChannel = GrpcChannel.ForAddress(etcd.Url);
        using var ourChannel = GrpcChannel.ForAddress(ours.Url);
        var mismatches = new List<string>();
        foreach (var (name, call) in Steps())
        {
            string expected = await call(etcdChannel), actual = await call(ourChannel);
            if (expected != actual)
            {
                mismatches.Add($"{name}: etcd {expected} | kvserver {actual}");
            }
        }

        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches));
        Assert.DoesNotContain("failed with an unexpected error", ours.Output);
    }

    private static async Task<string> Outcome<T>(Func<Task<T>> call, Func<T, string> describe)
    {
        try
        {
            return describe(await call());
        }
        catch (RpcException e)
        {
            return $"{e.StatusCode} \"{e.Status.Detail}\"";
        }
    }

    private static async Task<byte[]> Raw(GrpcChannel channel, string path, byte[] body)
    {
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var marshaller = Marshallers.Create(b => b, b => b);
        var method = new Method<byte[], byte[]>(MethodType.Unary, parts[0], parts[1], marshaller, marshaller);
        return await channel.CreateCallInvoker().AsyncUnaryCall(method, null, new CallOptions(deadline: DateTime.UtcNow.AddSeconds(10)), body);
    }
}
