using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Tests.Kubelet;

/// <summary>What a DELETE decides for a pod (Kubernetes' BeforeDelete and the pod strategy's CheckGracefulDelete), case by case.</summary>
public sealed class GracefulDeletionPlanTests
{
    private static readonly DateTimeOffset Now = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);

    private static JsonObject Pod(string? node = "n1", string? phase = null, long? ownGrace = 30, string? deletingAt = null, long? deletingGrace = null)
    {
        var meta = new JsonObject { ["name"] = "p" };
        if (deletingAt is not null)
        {
            meta["deletionTimestamp"] = deletingAt;
            meta["deletionGracePeriodSeconds"] = deletingGrace;
        }

        var spec = new JsonObject { ["nodeName"] = node, ["terminationGracePeriodSeconds"] = ownGrace };
        return new JsonObject { ["metadata"] = meta, ["spec"] = spec, ["status"] = new JsonObject { ["phase"] = phase ?? "Running" } };
    }

    public static TheoryData<string, JsonObject, long?, GracefulDeletion.Step, long, int> Cases => new()
    {
        { "bound, own grace", Pod(), null, GracefulDeletion.Step.Mark, 30, 30 },
        { "bound, asked 5", Pod(), 5, GracefulDeletion.Step.Mark, 5, 5 },
        { "bound, no own grace: 30", Pod(ownGrace: null), null, GracefulDeletion.Step.Mark, 30, 30 },
        { "bound, own grace 0", Pod(ownGrace: 0), null, GracefulDeletion.Step.Proceed, 0, 0 },
        { "bound, asked 0", Pod(), 0, GracefulDeletion.Step.Proceed, 0, 0 },
        { "bound, negative asked: 1", Pod(), -3, GracefulDeletion.Step.Mark, 1, 1 },
        { "unbound", Pod(node: null), 10, GracefulDeletion.Step.Proceed, 0, 0 },
        { "succeeded", Pod(phase: "Succeeded"), null, GracefulDeletion.Step.Proceed, 0, 0 },
        { "failed", Pod(phase: "Failed"), null, GracefulDeletion.Step.Proceed, 0, 0 },
        { "deleting, asked nothing", Pod(deletingAt: "2026-01-01T12:00:30Z", deletingGrace: 30), null, GracefulDeletion.Step.Pending, 0, 0 },
        { "deleting, asked longer", Pod(deletingAt: "2026-01-01T12:00:30Z", deletingGrace: 30), 60, GracefulDeletion.Step.Pending, 0, 0 },
        { "deleting, asked same", Pod(deletingAt: "2026-01-01T12:00:30Z", deletingGrace: 30), 30, GracefulDeletion.Step.Pending, 0, 0 },
        { "deleting, asked shorter", Pod(deletingAt: "2026-01-01T12:00:30Z", deletingGrace: 30), 10, GracefulDeletion.Step.Mark, 10, 10 },
        { "deleting, asked 0", Pod(deletingAt: "2026-01-01T12:00:30Z", deletingGrace: 30), 0, GracefulDeletion.Step.Mark, 0, 0 },
        { "deleting with grace 0 already", Pod(deletingAt: "2026-01-01T12:00:00Z", deletingGrace: 0), null, GracefulDeletion.Step.Proceed, 0, 0 },
    };

    /// <param name="at">The deletionTimestamp of a Mark, in seconds after <see cref="Now"/>.</param>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Decides_as_kubernetes(string name, JsonObject pod, long? requested, GracefulDeletion.Step step, long grace, int at)
    {
        var plan = GracefulDeletion.Decide(pod, requested, new PodStrategy(), Now);
        Assert.True(step == plan.Step, $"{name}: {plan}");
        if (step == GracefulDeletion.Step.Mark)
        {
            Assert.Equal(grace, plan.GracePeriod);
            Assert.Equal(Now.AddSeconds(at), plan.DeletionTimestamp);
        }
    }

    [Fact]
    public void Kinds_without_graceful_deletion_always_proceed() =>
        Assert.Equal(GracefulDeletion.Step.Proceed, GracefulDeletion.Decide(Pod(), 30, DefaultStrategy.Instance, Now).Step);
}
