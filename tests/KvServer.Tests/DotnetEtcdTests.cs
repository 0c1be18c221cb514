using dotnet_etcd;
using Google.Protobuf;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>The dotnet-etcd client (NuGet) against kvserver, unchanged: KV, txn, watch and lease keep-alive.</summary>
public sealed class DotnetEtcdTests : IAsyncLifetime
{
    private readonly KvServerProcess _server = new();
    private EtcdClient _client = null!;

    public async Task InitializeAsync()
    {
        await _server.StartAsync();
        _client = new EtcdClient(_server.Url);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task KeyValueAndRanges()
    {
        var put = await _client.PutAsync("app/a", "1");
        await _client.PutAsync("app/b", "2");
        await _client.PutAsync("app/a", "3");
        Assert.Equal(2, put.Header.Revision);
        Assert.Equal("3", await _client.GetValAsync("app/a"));
        var a = (await _client.GetAsync("app/a")).Kvs.Single();
        Assert.Equal((2L, 4L, 2L), (a.CreateRevision, a.ModRevision, a.Version));
        var range = await _client.GetRangeAsync("app/");
        Assert.Equal(["app/a", "app/b"], range.Kvs.Select(kv => kv.Key.ToStringUtf8()));
        Assert.Equal(2, (await _client.DeleteRangeAsync("app/")).Deleted);
        Assert.Equal("", await _client.GetValAsync("app/a"));
    }

    [Fact]
    public async Task TransactionIsACompareAndSwap()
    {
        var put = await _client.PutAsync("cas", "v1");
        Etcdserverpb.TxnRequest Swap(long expectedMod, string value) => new()
        {
            Compare = { new Etcdserverpb.Compare { Key = ByteString.CopyFromUtf8("cas"), Target = Etcdserverpb.Compare.Types.CompareTarget.Mod, Result = Etcdserverpb.Compare.Types.CompareResult.Equal, ModRevision = expectedMod } },
            Success = { new Etcdserverpb.RequestOp { RequestPut = new Etcdserverpb.PutRequest { Key = ByteString.CopyFromUtf8("cas"), Value = ByteString.CopyFromUtf8(value) } } },
            Failure = { new Etcdserverpb.RequestOp { RequestRange = new Etcdserverpb.RangeRequest { Key = ByteString.CopyFromUtf8("cas") } } },
        };
        var won = await _client.TransactionAsync(Swap(put.Header.Revision, "v2"));
        Assert.True(won.Succeeded);
        var lost = await _client.TransactionAsync(Swap(put.Header.Revision, "v3"));
        Assert.False(lost.Succeeded);
        Assert.Equal("v2", lost.Responses.Single().ResponseRange.Kvs.Single().Value.ToStringUtf8());
        Assert.Equal("v2", await _client.GetValAsync("cas"));
    }

    [Fact]
    public async Task WatchSeesPutsAndDeletesInOrder()
    {
        var events = new System.Collections.Concurrent.ConcurrentQueue<(string Type, string Key, string Value)>();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var request = new Etcdserverpb.WatchRequest
        {
            CreateRequest = new Etcdserverpb.WatchCreateRequest { Key = ByteString.CopyFromUtf8("w/"), RangeEnd = ByteString.CopyFromUtf8("w0") },
        };
        Action<Etcdserverpb.WatchResponse> onResponse = r =>
        {
            foreach (var e in r.Events)
            {
                events.Enqueue((e.Type.ToString(), e.Kv.Key.ToStringUtf8(), e.Kv.Value.ToStringUtf8()));
            }
        };
        var watching = Task.Run(() => _client.WatchAsync(request, onResponse, cancellationToken: cts.Token));
        await Task.Delay(1000); // let the watch be created before writing
        await _client.PutAsync("w/1", "a");
        await _client.PutAsync("w/2", "b");
        await _client.DeleteAsync("w/1");
        await _client.PutAsync("other", "x");
        for (int i = 0; i < 100 && events.Count < 3; i++)
        {
            await Task.Delay(100);
        }

        await cts.CancelAsync();
        Assert.Equal([("Put", "w/1", "a"), ("Put", "w/2", "b"), ("Delete", "w/1", "")], events.ToArray());
        await Task.WhenAny(watching, Task.Delay(5000));
    }

    [Fact]
    public async Task KeepAliveKeepsALeasedKeyAndRevokeDeletesIt()
    {
        // dotnet-etcd renews every third of the TTL: a 4 s TTL leaves room for a loaded machine's stalls (with 2 s,
        // one test run lost the key while other test classes ran beside it).
        var lease = await _client.LeaseGrantAsync(new Etcdserverpb.LeaseGrantRequest { TTL = 4 });
        Assert.Equal(4, lease.TTL);
        await _client.PutAsync(new Etcdserverpb.PutRequest { Key = ByteString.CopyFromUtf8("leased"), Value = ByteString.CopyFromUtf8("v"), Lease = lease.ID });
        using var cts = new CancellationTokenSource();
        var keepAlive = _client.LeaseKeepAlive(lease.ID, cts.Token);
        await Task.Delay(TimeSpan.FromSeconds(9)); // well past the 4 s TTL
        Assert.Equal("v", await _client.GetValAsync("leased"));
        await cts.CancelAsync();
        try
        {
            await keepAlive;
        }
        catch (Exception e) when (e is OperationCanceledException or Grpc.Core.RpcException)
        {
            // Stopping the keep-alive loop.
        }

        await _client.LeaseRevokeAsync(new Etcdserverpb.LeaseRevokeRequest { ID = lease.ID });
        Assert.Equal("", await _client.GetValAsync("leased"));
    }
}
