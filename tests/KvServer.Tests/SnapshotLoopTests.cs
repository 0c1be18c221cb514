using System.Net;
using KvCluster.KvServer.Raft;
using Microsoft.Extensions.Logging;

namespace KvCluster.KvServer.Tests;

/// <summary>
/// DotNext 6.12's snapshot livelock is seen only in its log: the leader's "Installing snapshot at
/// index N for member M", the same N on the same M again and again. These pin how it is recognised.
/// </summary>
public sealed class SnapshotLoopTests
{
    private static readonly IPEndPoint M1 = new(IPAddress.Loopback, 2380);
    private static readonly IPEndPoint M2 = new(IPAddress.Loopback, 2480);

    // The same event id, level and template as DotNext's LogMessages.InstallingSnapshot.
    private static readonly Action<ILogger, long, EndPoint, Exception?> InstallingSnapshot =
        LoggerMessage.Define<long, EndPoint>(LogLevel.Information, new EventId(DotNextLogWatch.InstallingSnapshotEvent, "DotNext.Net.Cluster.InstallingSnapshot"),
            "Installing snapshot at index {EntryIndex} for member {Member}");

    [Fact]
    public void TheSameSnapshotInstalledOnTheSameMemberThreeTimesInARowIsALoop()
    {
        var loops = new List<(EndPoint, long)>();
        var detector = new SnapshotLoopDetector((m, i) => loops.Add((m, i)));

        detector.Installing(M1, 440);
        detector.Installing(M1, 440); // one re-send of an install that timed out: not yet a loop
        detector.Installing(M2, 440);
        Assert.Empty(loops);

        detector.Installing(M1, 440);
        Assert.Equal([(M1, 440L)], loops);

        // Counting starts again after a loop is reported, and on a new snapshot index.
        detector.Installing(M1, 440);
        detector.Installing(M1, 460);
        detector.Installing(M1, 460);
        Assert.Single(loops);
        detector.Installing(M1, 460);
        Assert.Equal(2, loops.Count);
    }

    [Fact]
    public void ANewLeadershipForgetsTheCount()
    {
        var loops = new List<(EndPoint, long)>();
        var detector = new SnapshotLoopDetector((m, i) => loops.Add((m, i)));
        detector.Installing(M1, 440);
        detector.Installing(M1, 440);
        detector.Reset();
        detector.Installing(M1, 440);
        detector.Installing(M1, 440);
        Assert.Empty(loops);
    }

    [Fact]
    public void TheLogWatchReadsDotNextsInstallEventEvenWhenTheHostLogsOnlyWarnings()
    {
        var loops = new List<(EndPoint, long)>();
        int missingPages = 0;
        using var host = LoggerFactory.Create(b => b.SetMinimumLevel(LogLevel.Warning));
        using var watch = new DotNextLogWatch(host, () => missingPages++, new SnapshotLoopDetector((m, i) => loops.Add((m, i))));
        var logger = watch.CreateLogger("DotNext.Net.Cluster.Consensus.Raft.RaftCluster");

        Assert.True(logger.IsEnabled(LogLevel.Information));
        for (int i = 0; i < SnapshotLoopDetector.Threshold; i++)
        {
            InstallingSnapshot(logger, 440, M2, null);
        }

        Assert.Equal([(M2, 440L)], loops);
        Assert.Equal(0, missingPages);
    }
}
