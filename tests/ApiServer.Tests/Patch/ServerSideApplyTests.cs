using System.Text.Json.Nodes;
using KvCluster.ApiServer.Apply;
using KvCluster.ApiServer.Registry;

namespace KvCluster.ApiServer.Tests.Patch;

/// <summary>Server-side apply on plain objects: ownership, conflicts, force, removal, keyed lists.</summary>
public sealed class ServerSideApplyTests
{
    private static readonly ResourceKind Deployment = BuiltinKinds.Rows.Single(k => k.Kind == "Deployment");
    private static readonly DateTimeOffset Now = DateTimeOffset.Parse("2026-12-04T00:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static JsonObject Obj(string json) => (JsonObject)JsonNode.Parse(json)!;

    private static JsonObject Fields(JsonObject obj, string manager) =>
        (JsonObject)(obj["metadata"]!["managedFields"] as JsonArray)!.OfType<JsonObject>().Single(e => e["manager"]!.GetValue<string>() == manager)["fieldsV1"]!;

    [Fact]
    public void ListElementsAreOwnedByTheirMergeKey()
    {
        var created = ServerSideApply.Apply(Deployment, null, Obj("""{"metadata":{"name":"w","labels":{"a":"1"}},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x:1"}]}}}}"""), "m", force: false, Now);
        var expected = Obj("""{"f:metadata":{"f:labels":{"f:a":{}}},"f:spec":{"f:template":{"f:spec":{"f:containers":{"k:{\"name\":\"c\"}":{".":{},"f:image":{},"f:name":{}}}}}}}""");
        Assert.True(JsonNode.DeepEquals(expected, Fields(created, "m")), Fields(created, "m").ToJsonString());
    }

    [Fact]
    public void ChangingAFieldAnotherManagerOwnsConflicts_SameValueDoesNot_ForceTakesItOver()
    {
        var live = ServerSideApply.Apply(Deployment, null, Obj("""{"metadata":{"name":"w"},"spec":{"replicas":2}}"""), "a", false, Now);
        var conflict = Assert.Throws<ApiException>(() => ServerSideApply.Apply(Deployment, live, Obj("""{"metadata":{"name":"w"},"spec":{"replicas":3}}"""), "b", false, Now));
        Assert.Equal(409, conflict.Code);
        Assert.Equal("Apply failed with 1 conflict: conflict with \"a\": .spec.replicas", conflict.Message);

        // Applying the value it already has is shared ownership, not a conflict.
        var shared = ServerSideApply.Apply(Deployment, live, Obj("""{"metadata":{"name":"w"},"spec":{"replicas":2}}"""), "b", false, Now);
        Assert.NotNull(Fields(shared, "a")["f:spec"]?["f:replicas"]);
        Assert.NotNull(Fields(shared, "b")["f:spec"]?["f:replicas"]);

        var forced = ServerSideApply.Apply(Deployment, live, Obj("""{"metadata":{"name":"w"},"spec":{"replicas":3}}"""), "b", true, Now);
        Assert.Equal(3, forced["spec"]!["replicas"]!.GetValue<int>());
        Assert.DoesNotContain((forced["metadata"]!["managedFields"] as JsonArray)!, e => e!["manager"]!.GetValue<string>() == "a");
    }

    [Fact]
    public void AFieldNoLongerAppliedIsRemovedUnlessSomeoneElseOwnsIt()
    {
        var live = ServerSideApply.Apply(Deployment, null, Obj("""{"metadata":{"name":"w","labels":{"a":"1","b":"2"}},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"},{"name":"d","image":"y"}]}}}}"""), "m", false, Now);
        live = ServerSideApply.Apply(Deployment, live, Obj("""{"metadata":{"name":"w","labels":{"b":"2"}}}"""), "other", false, Now);
        var next = ServerSideApply.Apply(Deployment, live, Obj("""{"metadata":{"name":"w","labels":{"a":"1"}},"spec":{"template":{"spec":{"containers":[{"name":"c","image":"x"}]}}}}"""), "m", false, Now);
        Assert.Equal("2", next["metadata"]!["labels"]!["b"]!.GetValue<string>());
        var containers = (JsonArray)next["spec"]!["template"]!["spec"]!["containers"]!;
        Assert.Equal(["c"], containers.Select(c => c!["name"]!.GetValue<string>()));
    }

    [Fact]
    public void AnUpdateTakesTheFieldsItChanges()
    {
        var live = ServerSideApply.Apply(Deployment, null, Obj("""{"metadata":{"name":"w"},"spec":{"replicas":2,"paused":false}}"""), "a", false, Now);
        var updated = (JsonObject)live.DeepClone();
        updated["spec"]!["replicas"] = 5;
        ServerSideApply.TrackUpdate(Deployment, live, updated, "kubectl-edit", Now);
        Assert.Null(Fields(updated, "a")["f:spec"]?["f:replicas"]);
        Assert.NotNull(Fields(updated, "a")["f:spec"]?["f:paused"]);
        Assert.NotNull(Fields(updated, "kubectl-edit")["f:spec"]?["f:replicas"]);
        Assert.Equal("Update", (updated["metadata"]!["managedFields"] as JsonArray)!.OfType<JsonObject>().Single(e => e["manager"]!.GetValue<string>() == "kubectl-edit")["operation"]!.GetValue<string>());
    }
}
