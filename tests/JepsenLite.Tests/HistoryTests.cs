using System.Text.Json;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Tests;

public sealed class HistoryTests
{
    [Fact]
    public void An_op_line_round_trips_with_the_documented_field_names()
    {
        var line = """{"index":3,"process":2,"type":"ok","f":"cas","key":"r1","value":[1,2],"time":1500,"node":0}""";
        var op = JsonSerializer.Deserialize<Op>(line)!;
        Assert.Equal(OpType.Ok, op.Type);
        Assert.Equal("cas", op.F);
        Assert.Equal(2, op.Value!.AsArray()[1]!.GetValue<int>());
        var back = JsonSerializer.Serialize(op, new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull });
        Assert.Equal(line, back);
    }
}
