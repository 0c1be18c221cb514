using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using KvCluster.KvServer.Api;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>What etcdctl cannot show: watch ids, progress answers, fragments, headers, limits and unimplemented RPCs, over raw gRPC.</summary>
public sealed class GrpcApiTests : IAsyncLifetime
{
    private readonly KvServerProcess _server = new();
    private GrpcChannel _channel = null!;

    public async Task InitializeAsync()
    {
        await _server.StartAsync("--max-request-bytes", "65536");
        _channel = GrpcChannel.ForAddress(_server.Url);
    }

    public async Task DisposeAsync()
    {
        _channel.Dispose();
        await _server.DisposeAsync();
    }

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    private static CancellationToken Soon => new CancellationTokenSource(TimeSpan.FromSeconds(10)).Token;

    [Fact]
    public async Task HeadersCarryClusterMemberRevisionAndTerm()
    {
        var kv = new KV.KVClient(_channel);
        var put = await kv.PutAsync(new PutRequest { Key = B("h"), Value = B("1") });
        Assert.NotEqual(0UL, put.Header.ClusterId);
        Assert.NotEqual(0UL, put.Header.MemberId);
        Assert.Equal(2, put.Header.Revision); // a new store is at revision 1, as etcd's
        Assert.True(put.Header.RaftTerm >= 1);
        var txn = await kv.TxnAsync(new TxnRequest { Success = { new RequestOp { RequestRange = new RangeRequest { Key = B("h") } } } });
        Assert.Equal(put.Header.ClusterId, txn.Header.ClusterId);
        var inner = txn.Responses[0].ResponseRange.Header;
        Assert.Equal(2, inner.Revision);
        Assert.Equal(0UL, inner.ClusterId); // etcd fills only the revision of nested responses
        var members = await new Cluster.ClusterClient(_channel).MemberListAsync(new MemberListRequest());
        Assert.Equal(put.Header.MemberId, members.Members.Single().ID);
    }

    [Fact]
    public async Task WatchIdsAreAssignedPerStreamAndCancelAnswers()
    {
        using var call = new Watch.WatchClient(_channel).Watch(cancellationToken: Soon);
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("w1") } });
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("w2") } });
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("w3"), WatchId = 7 } });
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("w4"), WatchId = 7 } });
        var created = new List<WatchResponse>();
        for (int i = 0; i < 4; i++)
        {
            Assert.True(await call.ResponseStream.MoveNext(Soon));
            created.Add(call.ResponseStream.Current);
        }

        Assert.Equal([0L, 1L, 7L, -1L], created.Select(c => c.WatchId));
        Assert.All(created, c => Assert.True(c.Created));
        Assert.True(created[3].Canceled);
        Assert.Contains("duplicate watch ID", created[3].CancelReason);

        await new KV.KVClient(_channel).PutAsync(new PutRequest { Key = B("w2"), Value = B("x") });
        Assert.True(await call.ResponseStream.MoveNext(Soon));
        var ev = call.ResponseStream.Current;
        Assert.Equal(1, ev.WatchId);
        Assert.Equal("w2", ev.Events.Single().Kv.Key.ToStringUtf8());
        Assert.Equal(ev.Events[0].Kv.ModRevision, ev.Header.Revision);

        await call.RequestStream.WriteAsync(new WatchRequest { CancelRequest = new WatchCancelRequest { WatchId = 1 } });
        Assert.True(await call.ResponseStream.MoveNext(Soon));
        Assert.True(call.ResponseStream.Current.Canceled);
        Assert.Equal(1, call.ResponseStream.Current.WatchId);
    }

    [Fact]
    public async Task WatchStreamKeepsDeliveringAfterTheClientClosesItsSendingSide()
    {
        // etcd's server ignores the end of the request stream: watches live until the client cancels.
        using var call = new Watch.WatchClient(_channel).Watch(cancellationToken: Soon);
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("half") } });
        await call.RequestStream.CompleteAsync();
        Assert.True(await call.ResponseStream.MoveNext(Soon));
        Assert.True(call.ResponseStream.Current.Created);

        var put = await new KV.KVClient(_channel).PutAsync(new PutRequest { Key = B("half"), Value = B("1") });
        Assert.True(await call.ResponseStream.MoveNext(Soon));
        var ev = call.ResponseStream.Current.Events.Single();
        Assert.Equal("half", ev.Kv.Key.ToStringUtf8());
        Assert.Equal(put.Header.Revision, ev.Kv.ModRevision);
    }

    [Fact]
    public async Task ProgressRequestAnswersOnceWithWatchIdMinusOneAtTheCurrentRevision()
    {
        var kv = new KV.KVClient(_channel);
        await kv.PutAsync(new PutRequest { Key = B("p"), Value = B("1") });
        using var call = new Watch.WatchClient(_channel).Watch(cancellationToken: Soon);
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("p") } });
        await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B("q") } });
        Assert.True(await call.ResponseStream.MoveNext(Soon));
        Assert.True(await call.ResponseStream.MoveNext(Soon));
        var rev = (await kv.PutAsync(new PutRequest { Key = B("other"), Value = B("1") })).Header.Revision;
        await call.RequestStream.WriteAsync(new WatchRequest { ProgressRequest = new WatchProgressRequest() });
        Assert.True(await call.ResponseStream.MoveNext(Soon));
        var progress = call.ResponseStream.Current;
        Assert.Equal(-1, progress.WatchId);
        Assert.Empty(progress.Events);
        Assert.False(progress.Created || progress.Canceled);
        Assert.Equal(rev, progress.Header.Revision);
    }

    [Fact]
    public async Task LargeWatchResponsesAreFragmentedWhenAsked()
    {
        var kv = new KV.KVClient(_channel);
        for (int i = 0; i < 5; i++)
        {
            await kv.PutAsync(new PutRequest { Key = B($"frag/{i}"), Value = ByteString.CopyFrom(new byte[15_000]) });
        }

        // One delete revision whose events carry 75 KB of previous values: over this server's 64 KiB --max-request-bytes.
        var rev = (await kv.DeleteRangeAsync(new DeleteRangeRequest { Key = B("frag/"), RangeEnd = B("frag0") })).Header.Revision;
        using var call = new Watch.WatchClient(_channel).Watch(cancellationToken: Soon);
        await call.RequestStream.WriteAsync(new WatchRequest
        {
            CreateRequest = new WatchCreateRequest { Key = B("frag/"), RangeEnd = B("frag0"), StartRevision = rev, Fragment = true, PrevKv = true },
        });
        Assert.True(await call.ResponseStream.MoveNext(Soon));
        Assert.True(call.ResponseStream.Current.Created);
        var parts = new List<WatchResponse>();
        do
        {
            Assert.True(await call.ResponseStream.MoveNext(Soon));
            parts.Add(call.ResponseStream.Current);
        }
        while (call.ResponseStream.Current.Fragment);

        Assert.True(parts.Count >= 2, $"expected fragments, got {parts.Count} response(s)");
        Assert.All(parts, p => Assert.True(p.CalculateSize() <= 65536 + 1024, $"fragment of {p.CalculateSize()} bytes"));
        Assert.Equal(5, parts.Sum(p => p.Events.Count));
        Assert.All(parts.SelectMany(p => p.Events), e => Assert.Equal(15_000, e.PrevKv.Value.Length));
        Assert.All(parts, p => Assert.Equal(rev, p.Header.Revision));
    }

    [Fact]
    public async Task LimitsAndErrorsUseEtcdsCodesAndMessages()
    {
        var kv = new KV.KVClient(_channel);
        var tooLarge = await Assert.ThrowsAsync<RpcException>(async () => await kv.PutAsync(new PutRequest { Key = B("big"), Value = ByteString.CopyFrom(new byte[70_000]) }));
        Assert.Equal(StatusCode.InvalidArgument, tooLarge.StatusCode);
        Assert.Equal("etcdserver: request is too large", tooLarge.Status.Detail);

        var empty = await Assert.ThrowsAsync<RpcException>(async () => await kv.RangeAsync(new RangeRequest()));
        Assert.Equal((StatusCode.InvalidArgument, "etcdserver: key is not provided"), (empty.StatusCode, empty.Status.Detail));

        var future = await Assert.ThrowsAsync<RpcException>(async () => await kv.RangeAsync(new RangeRequest { Key = B("a"), Revision = 1000 }));
        Assert.Equal((StatusCode.OutOfRange, "etcdserver: mvcc: required revision is a future revision"), (future.StatusCode, future.Status.Detail));

        var lease = new Lease.LeaseClient(_channel);
        var notFound = await Assert.ThrowsAsync<RpcException>(async () => await lease.LeaseRevokeAsync(new LeaseRevokeRequest { ID = 42 }));
        Assert.Equal((StatusCode.NotFound, "etcdserver: requested lease not found"), (notFound.StatusCode, notFound.Status.Detail));
        var ttl = await lease.LeaseTimeToLiveAsync(new LeaseTimeToLiveRequest { ID = 42 });
        Assert.Equal(-1, ttl.TTL);

        using var keepAlive = lease.LeaseKeepAlive(cancellationToken: Soon);
        await keepAlive.RequestStream.WriteAsync(new LeaseKeepAliveRequest { ID = 42 });
        Assert.True(await keepAlive.ResponseStream.MoveNext(Soon));
        Assert.Equal((42L, 0L), (keepAlive.ResponseStream.Current.ID, keepAlive.ResponseStream.Current.TTL));

        var grant = await lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 1, ID = 77 });
        Assert.Equal((77L, 2L), (grant.ID, grant.TTL)); // etcd's minimum TTL
        var exists = await Assert.ThrowsAsync<RpcException>(async () => await lease.LeaseGrantAsync(new LeaseGrantRequest { TTL = 10, ID = 77 }));
        Assert.Equal((StatusCode.FailedPrecondition, "etcdserver: lease already exists"), (exists.StatusCode, exists.Status.Detail));

        var unimplemented = await Assert.ThrowsAsync<RpcException>(async () => await new Cluster.ClusterClient(_channel).MemberAddAsync(new MemberAddRequest { PeerURLs = { "http://127.0.0.1:1" } }));
        Assert.Equal(StatusCode.Unimplemented, unimplemented.StatusCode);
        Assert.Contains("MemberAdd", unimplemented.Status.Detail);
    }

    [Fact]
    public async Task AbandonedWatchStreamsReleaseTheirWatchers()
    {
        var client = new Watch.WatchClient(_channel);
        var calls = new List<AsyncDuplexStreamingCall<WatchRequest, WatchResponse>>();
        for (int i = 0; i < 300; i++)
        {
            var call = client.Watch();
            await call.RequestStream.WriteAsync(new WatchRequest { CreateRequest = new WatchCreateRequest { Key = B($"leak/{i}") } });
            calls.Add(call);
        }

        foreach (var call in calls.Take(10))
        {
            Assert.True(await call.ResponseStream.MoveNext(Soon));
        }

        Assert.Equal(300, await WatchersAsync(n => n == 300));
        foreach (var call in calls)
        {
            call.Dispose(); // the client goes away without cancelling its watches
        }

        Assert.Equal(0, await WatchersAsync(n => n == 0));
        var put = await new KV.KVClient(_channel).PutAsync(new PutRequest { Key = B("leak/after"), Value = B("ok") });
        Assert.True(put.Header.Revision > 1);
    }

    /// <summary>Polls etcd_debugging_mvcc_watcher_total (at most 15 s) until it satisfies <paramref name="done"/>.</summary>
    private async Task<int> WatchersAsync(Func<int, bool> done)
    {
        using var http = new HttpClient();
        int n = -1;
        for (var deadline = DateTime.UtcNow.AddSeconds(15); DateTime.UtcNow < deadline; await Task.Delay(100))
        {
            var text = await http.GetStringAsync($"{_server.Url}/metrics");
            var line = text.Split('\n').Single(l => l.StartsWith("etcd_debugging_mvcc_watcher_total ", StringComparison.Ordinal));
            n = (int)double.Parse(line.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture);
            if (done(n))
            {
                break;
            }
        }

        return n;
    }

    [Fact]
    public async Task AuthTokenTravelsAsMetadata()
    {
        var auth = new Api.Auth.AuthClient(_channel);
        await auth.UserAddAsync(new AuthUserAddRequest { Name = "root", Password = "pw" });
        await auth.UserGrantRoleAsync(new AuthUserGrantRoleRequest { User = "root", Role = "root" });
        await auth.AuthEnableAsync(new AuthEnableRequest());
        var kv = new KV.KVClient(_channel);
        var noToken = await Assert.ThrowsAsync<RpcException>(async () => await kv.PutAsync(new PutRequest { Key = B("a"), Value = B("1") }));
        Assert.Equal("etcdserver: user name is empty", noToken.Status.Detail);
        var bad = await Assert.ThrowsAsync<RpcException>(async () => await kv.PutAsync(new PutRequest { Key = B("a"), Value = B("1") }, new Metadata { { "token", "nope.1" } }));
        Assert.Equal((StatusCode.Unauthenticated, "etcdserver: invalid auth token"), (bad.StatusCode, bad.Status.Detail));
        var token = (await auth.AuthenticateAsync(new AuthenticateRequest { Name = "root", Password = "pw" })).Token;
        Assert.Matches(@"^[a-zA-Z]{16}\.\d+$", token);
        var headers = new Metadata { { "token", token } };
        await kv.PutAsync(new PutRequest { Key = B("a"), Value = B("1") }, headers);
        var status = await auth.AuthStatusAsync(new AuthStatusRequest(), headers);
        Assert.True(status.Enabled);
        await auth.AuthDisableAsync(new AuthDisableRequest(), headers);
    }
}
