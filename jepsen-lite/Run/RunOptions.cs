using KvCluster.JepsenLite.Cluster;

namespace KvCluster.JepsenLite.Run;

/// <summary>`jepsen-lite run`'s settings (see Program.cs for the flags).</summary>
public sealed record RunOptions
{
    public Target Target { get; init; } = Target.KvCluster;

    public int Nodes { get; init; } = 3;

    public TimeSpan Time { get; init; } = TimeSpan.FromSeconds(60);

    public string Workload { get; init; } = "register";

    public IReadOnlySet<string> Nemesis { get; init; } = new HashSet<string> { "kill", "pause", "partition" };

    public int Concurrency { get; init; } = 10;

    public int Seed { get; init; } = Environment.TickCount;

    public string Out { get; init; } = "";

    public int Keys { get; init; } = 8;

    /// <summary>Serializable (possibly stale) reads in the register workload: a run the checker must find invalid under partitions.</summary>
    public bool SerializableReads { get; init; }

    /// <summary>kvserver.dll, or the etcd binary.</summary>
    public string Binary { get; init; } = "";

    public int HeartbeatMs { get; init; } = 100;

    public int ElectionMs { get; init; } = 1000;

    public TimeSpan CheckLimit { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Keep the members' data dirs (their Raft logs and stores) after the run, for a post-mortem.</summary>
    public bool KeepData { get; init; }
}
