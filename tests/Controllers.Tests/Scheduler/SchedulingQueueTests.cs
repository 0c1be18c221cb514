using KvCluster.Controllers.Scheduler;
using Microsoft.Extensions.Time.Testing;

namespace KvCluster.Controllers.Tests.Scheduler;

public sealed class SchedulingQueueTests
{
    private readonly FakeTimeProvider _time = new();

    private static async Task<string> Next(SchedulingQueue q) => await q.NextAsync(TimeSpan.FromMilliseconds(10), CancellationToken.None);

    [Fact]
    public async Task Active_pods_come_out_once_each_in_order()
    {
        var q = new SchedulingQueue(_time);
        q.Add("a");
        q.Add("b");
        q.Add("a");
        Assert.Equal("a", await Next(q));
        Assert.Equal("b", await Next(q));
        Assert.Equal("", await Next(q));
    }

    [Fact]
    public async Task An_unschedulable_pod_returns_after_a_cluster_change_and_its_backoff_or_after_five_minutes()
    {
        var q = new SchedulingQueue(_time);
        q.Unschedulable("p");
        q.ClusterChanged();
        Assert.Equal("", await Next(q)); // back-off of 1 s not over
        _time.Advance(TimeSpan.FromSeconds(1));
        q.Flush();
        Assert.Equal("p", await Next(q));

        // The second failure backs off 2 s; without a change it waits the full 5 minutes.
        q.Unschedulable("p");
        _time.Advance(TimeSpan.FromSeconds(3));
        q.Flush();
        Assert.Equal("", await Next(q));
        _time.Advance(SchedulingQueue.MaxUnschedulable);
        q.Flush();
        Assert.Equal("p", await Next(q));
        Assert.Equal(0, q.UnschedulableCount);
    }

    [Fact]
    public async Task Backoff_doubles_up_to_ten_seconds_and_forget_resets_it()
    {
        var q = new SchedulingQueue(_time);
        for (int i = 0; i < 6; i++)
        {
            q.Unschedulable("p");
        }

        q.ClusterChanged();
        _time.Advance(TimeSpan.FromSeconds(9.9));
        q.Flush();
        Assert.Equal("", await Next(q));
        _time.Advance(TimeSpan.FromSeconds(0.1));
        q.Flush();
        Assert.Equal("p", await Next(q));

        q.Forget("p");
        q.Unschedulable("p");
        q.ClusterChanged();
        _time.Advance(TimeSpan.FromSeconds(1));
        q.Flush();
        Assert.Equal("p", await Next(q));
    }
}
