using KvCluster.JepsenLite.Cluster;
using KvCluster.JepsenLite.History;
using KvCluster.JepsenLite.Workloads;

namespace KvCluster.JepsenLite.Nemesis;

/// <summary>
/// Injects one fault at a time, from the enabled kinds, on a schedule drawn from the run's seed:
/// wait 2–4 s, inject, hold 3–6 s, heal, then check that the cluster is healthy again (every member
/// with a leader) before the next one. Every step is a nemesis line (process -1) in the history.
///   kill       kill -9 of the leader or a random member (even odds), restarted on its data dir when healed
///   pause      SIGSTOP of the leader or a random member, SIGCONT when healed
///   partition  the peer links go silent: random halves, one member isolated, the leader isolated,
///              a bridge (two halves that both see one member), or (5+ members) a majorities ring
///   proxy-delay every peer link slowed by 20–400 ms (±50 %) per chunk of bytes, in order
///   proxy-drop  5–40 % of the chunks on every peer link stall for 200–1000 ms (packet loss as TCP sees it)
/// </summary>
public sealed class FaultInjector(LocalCluster cluster, IReadOnlySet<string> kinds, Random rng, IHistory history, Action<string> progress)
{
    public static readonly string[] Kinds = ["kill", "pause", "partition", "proxy-delay", "proxy-drop"];

    public int Injected { get; private set; }

    public int UnhealthyAfterHeal { get; private set; }

    public async Task RunAsync(CancellationToken ct)
    {
        var enabled = Kinds.Where(kinds.Contains).ToArray();
        if (enabled.Length == 0)
        {
            return;
        }

        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(rng.Next(2000, 4000)), ct);
                var kind = enabled[rng.Next(enabled.Length)];
                var heal = await InjectAsync(kind, ct);
                Injected++;
                try
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(rng.Next(3000, 6000)), ct);
                }
                finally
                {
                    await heal();
                }

                await CheckHealthAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
    }

    /// <summary>Undoes whatever is still in force and waits for the cluster to be healthy (before the final reads).</summary>
    public async Task HealAllAsync(CancellationToken ct)
    {
        cluster.Heal();
        for (var i = 0; i < cluster.Members.Count; i++)
        {
            var m = cluster.Members[i];
            m.Resume();
            if (!m.Running)
            {
                m.Start();
            }
        }

        Record("heal", "all");
        await CheckHealthAsync(ct);
    }

    private async Task<Func<Task>> InjectAsync(string kind, CancellationToken ct)
    {
        switch (kind)
        {
            case "kill":
            {
                var i = await TargetAsync(ct);
                cluster.Members[i].Kill();
                Record("kill", cluster.Members[i].Name);
                return () =>
                {
                    cluster.Members[i].Start();
                    Record("restart", cluster.Members[i].Name);
                    return Task.CompletedTask;
                };
            }

            case "pause":
            {
                var i = await TargetAsync(ct);
                cluster.Members[i].Pause();
                Record("pause", cluster.Members[i].Name);
                return () =>
                {
                    cluster.Members[i].Resume();
                    Record("resume", cluster.Members[i].Name);
                    return Task.CompletedTask;
                };
            }

            case "proxy-delay":
            {
                var delay = TimeSpan.FromMilliseconds(rng.Next(20, 400));
                cluster.Delay(delay);
                Record("delay", $"{delay.TotalMilliseconds:0} ms on every peer link");
                return () =>
                {
                    cluster.Delay(TimeSpan.Zero);
                    Record("heal", "delay");
                    return Task.CompletedTask;
                };
            }

            case "proxy-drop":
            {
                var percent = rng.Next(5, 41);
                cluster.Drop(percent);
                Record("drop", $"{percent} % of chunks on every peer link");
                return () =>
                {
                    cluster.Drop(0);
                    Record("heal", "drop");
                    return Task.CompletedTask;
                };
            }

            default:
            {
                var (blocked, description) = await ChoosePartitionAsync(ct);
                cluster.Cut(blocked, description);
                Record("partition", description);
                return () =>
                {
                    cluster.Heal();
                    Record("heal", description);
                    return Task.CompletedTask;
                };
            }
        }
    }

    /// <summary>The member to kill or pause: the leader half of the time (when one is known), else any member.</summary>
    private async Task<int> TargetAsync(CancellationToken ct)
    {
        var any = rng.Next(cluster.Members.Count);
        return rng.Next(2) == 0 && await cluster.LeaderAsync(ct) is var leader and >= 0 ? leader : any;
    }

    private async Task<(Func<int, int, bool> Blocked, string Description)> ChoosePartitionAsync(CancellationToken ct)
    {
        var n = cluster.Members.Count;
        var order = Enumerable.Range(0, n).OrderBy(_ => rng.Next()).ToArray();
        var shapes = n >= 5 ? 5 : 4;
        string Names(IEnumerable<int> ms) => "{" + string.Join(",", ms.Select(m => cluster.Members[m].Name)) + "}";
        switch (rng.Next(shapes))
        {
            case 0:
            {
                var a = order.Take(n / 2).ToHashSet();
                return ((x, y) => a.Contains(x) != a.Contains(y), $"halves {Names(a)} | {Names(order.Skip(n / 2))}");
            }

            case 1:
            {
                var x0 = order[0];
                return ((x, y) => (x == x0) != (y == x0), $"isolated {Names([x0])}");
            }

            case 2:
            {
                var leader = await cluster.LeaderAsync(ct);
                var x0 = leader >= 0 ? leader : order[0];
                return ((x, y) => (x == x0) != (y == x0), $"isolated leader {Names([x0])}");
            }

            case 3:
            {
                // Bridge: two halves that cannot see each other, and one member that sees both.
                var bridge = order[0];
                var a = order.Skip(1).Take((n - 1) / 2).ToHashSet();
                var b = order.Skip(1 + a.Count).ToHashSet();
                return ((x, y) => (a.Contains(x) && b.Contains(y)) || (b.Contains(x) && a.Contains(y)), $"bridge {Names([bridge])} between {Names(a)} and {Names(b)}");
            }

            default:
            {
                // Majorities ring: each member sees only its two neighbours, so every member has a majority view, and no two agree.
                var pos = new int[n];
                for (var k = 0; k < n; k++)
                {
                    pos[order[k]] = k;
                }

                return ((x, y) =>
                {
                    var d = Math.Abs(pos[x] - pos[y]);
                    return d > 1 && d < n - 1;
                }, $"majorities ring {Names(order)}");
            }
        }
    }

    private async Task CheckHealthAsync(CancellationToken ct)
    {
        var healthy = await cluster.WaitHealthyAsync(TimeSpan.FromSeconds(30), ct);
        if (!healthy)
        {
            UnhealthyAfterHeal++;
        }

        Record("health", healthy ? "healthy" : "NOT healthy after 30 s");
    }

    private void Record(string f, string value)
    {
        history.Append(-1, OpType.Info, f, "", value);
        progress($"nemesis {f} {value}");
    }
}
