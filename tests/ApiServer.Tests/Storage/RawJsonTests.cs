using System.Text;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Storage;

namespace KvCluster.ApiServer.Tests.Storage;

public sealed class RawJsonTests
{
    [Theory]
    [InlineData("""{"metadata":{"name":"a"},"spec":{}}""")]
    [InlineData("""{"spec":{"template":{"metadata":{"name":"inner"}}},"metadata":{"name":"a","labels":{"x":"y"}}}""")]
    [InlineData("""{"kind":"ConfigMap","metadata":{},"data":{"k":"\"metadata\":{ \u00e9"}}""")]
    [InlineData("""{"data":{"metadata":"not an object"},"metadata":{"name":"b"}}""")]
    [InlineData("""{"kind":"NoMetadata"}""")]
    public void Splices_the_resource_version_into_the_top_level_metadata_only(string stored)
    {
        var served = RawJson.WithResourceVersion(Encoding.UTF8.GetBytes(stored), 42);
        var expected = ObjectJson.Parse(Encoding.UTF8.GetBytes(stored), 42);
        Assert.True(JsonNode.DeepEquals(expected, JsonNode.Parse(served)), Encoding.UTF8.GetString(served));
    }
}
