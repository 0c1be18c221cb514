using System.Text.Json.Nodes;
using KvCluster.ApiServer.Patch;

namespace KvCluster.ApiServer.Tests.Patch;

public sealed class StrategicMergePatchTests
{
    private static void Check(string original, string patch, string expected)
    {
        var result = StrategicMergePatch.Apply((JsonObject)JsonNode.Parse(original)!, (JsonObject)JsonNode.Parse(patch)!);
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(expected), result), result.ToJsonString());
    }

    [Theory]
    // Containers merge by name, their env by name, their ports by containerPort.
    [InlineData("""{"spec":{"containers":[{"name":"a","image":"x:1","env":[{"name":"A","value":"1"}]},{"name":"b","image":"y"}]}}""",
                """{"spec":{"containers":[{"name":"a","image":"x:2","env":[{"name":"B","value":"2"}]}]}}""",
                """{"spec":{"containers":[{"name":"a","image":"x:2","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},{"name":"b","image":"y"}]}}""")]
    [InlineData("""{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP"}]}]}}""",
                """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":443}]}]}}""",
                """{"spec":{"containers":[{"name":"a","ports":[{"containerPort":80,"protocol":"TCP"},{"containerPort":443}]}]}}""")]
    // $patch: delete removes one element; null removes a field; lists without a merge key are replaced.
    [InlineData("""{"spec":{"containers":[{"name":"a"},{"name":"b"}],"args":["x","y"],"keep":1,"drop":2}}""",
                """{"spec":{"containers":[{"name":"b","$patch":"delete"}],"args":["z"],"drop":null}}""",
                """{"spec":{"containers":[{"name":"a"}],"args":["z"],"keep":1}}""")]
    // $patch: replace on a map and in a list; $retainKeys; $setElementOrder is only a hint.
    [InlineData("""{"spec":{"selector":{"a":"1","b":"2"},"volumes":[{"name":"v1"},{"name":"v2"}]}}""",
                """{"spec":{"selector":{"$patch":"replace","c":"3"},"volumes":[{"name":"v3"},{"$patch":"replace"}],"$setElementOrder/volumes":[{"name":"v3"}]}}""",
                """{"spec":{"selector":{"c":"3"},"volumes":[{"name":"v3"}]}}""")]
    [InlineData("""{"strategy":{"type":"RollingUpdate","rollingUpdate":{"maxSurge":1}}}""",
                """{"strategy":{"$retainKeys":["type"],"type":"Recreate"}}""",
                """{"strategy":{"type":"Recreate"}}""")]
    // Finalizers merge as a set; $deleteFromPrimitiveList removes from one.
    [InlineData("""{"metadata":{"finalizers":["a","b"]}}""",
                """{"metadata":{"finalizers":["c","a"],"$deleteFromPrimitiveList/finalizers":["b"]}}""",
                """{"metadata":{"finalizers":["a","c"]}}""")]
    public void Applies_kubernetes_strategic_merge_semantics(string original, string patch, string expected) => Check(original, patch, expected);
}
