using System.Net;
using DotNext.Net.Cluster.Consensus.Raft;
using KvCluster.KvServer.Raft;
using KvCluster.KvServer.Tests.Infra;

namespace KvCluster.KvServer.Tests;

/// <summary>
/// The snapshot-loop guard steps the leader down. It must only ever step down the member it runs on:
/// <c>ICluster.ResignAsync</c> would ask whichever member leads at the time, a new leader included.
/// </summary>
public sealed class LocalRaftClusterTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("localraft-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task ResignIfLeaderStepsDownALeaderAndDoesNothingOnAMemberThatDoesNotLead()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;

        // Alone: it elects itself, and resigning makes it give up that term's leadership.
        var alone = Loopback(Processes.FreePort());
        await using (var leader = New(alone, Path.Combine(_dir, "alone"), [alone]))
        {
            await leader.StartAsync(ct);
            await WaitUntilAsync(() => leader.Leader is { IsRemote: false }, ct);
            long term = leader.Term;
            Assert.True(await leader.ResignIfLeaderAsync(ct));
            await WaitUntilAsync(() => leader.Term > term, ct);
            await leader.StopAsync(ct);
        }

        // Two members: on the follower, it does nothing — ICluster.ResignAsync there would depose the other member.
        var a = Loopback(Processes.FreePort());
        var b = Loopback(Processes.FreePort());
        await using var first = New(a, Path.Combine(_dir, "a"), [a, b]);
        await using var second = New(b, Path.Combine(_dir, "b"), [a, b]);
        await Task.WhenAll(first.StartAsync(ct), second.StartAsync(ct));
        await WaitUntilAsync(() => first.Leader is not null && second.Leader is not null && first.Term == second.Term, ct);
        var (leading, following) = first.Leader!.IsRemote ? (second, first) : (first, second);
        long leaderTerm = leading.Term;
        Assert.False(await following.ResignIfLeaderAsync(ct));
        await Task.Delay(500, ct); // a resignation shows at once: the member that resigns stops leading
        Assert.True(leading.Leader is { IsRemote: false }, "the leader was deposed by a member that did not lead");
        Assert.Equal(leaderTerm, leading.Term);
        await Task.WhenAll(first.StopAsync(ct), second.StopAsync(ct));
    }

    private static IPEndPoint Loopback(int port) => new(IPAddress.Loopback, port);

    private static LocalRaftCluster New(IPEndPoint self, string dir, IPEndPoint[] members)
    {
        Directory.CreateDirectory(dir);
        return new LocalRaftCluster(new RaftCluster.TcpConfiguration(self)
        {
            ColdStart = false,
            // Long enough that a loaded machine (the whole suite runs beside) does not start elections of its own.
            LowerElectionTimeout = 2000,
            UpperElectionTimeout = 4000,
            ConfigurationStorage = new FileClusterConfigurationStorage(Path.Combine(dir, "members"), members),
        })
        {
            AuditTrail = new ConsensusOnlyState(), // an in-memory log: only elections matter here
        };
    }

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken ct)
    {
        while (!condition())
        {
            await Task.Delay(20, ct);
        }
    }
}
