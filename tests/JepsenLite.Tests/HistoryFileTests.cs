using System.Text.Json.Nodes;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Tests;

public sealed class HistoryFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("jepsen-lite-test-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task The_appender_numbers_lines_in_order_from_many_tasks_and_the_file_reads_back()
    {
        var path = Path.Combine(_dir, "history.jsonl");
        using (var writer = new HistoryWriter(path))
        {
            await Task.WhenAll(Enumerable.Range(0, 8).Select(p => Task.Run(() =>
            {
                for (var i = 0; i < 50; i++)
                {
                    writer.Append(p, OpType.Invoke, "write", "r1", JsonValue.Create(i), node: 0);
                    writer.Append(p, OpType.Ok, "write", "r1", JsonValue.Create(i), node: 0);
                }
            })));
            writer.Append(-1, OpType.Info, "kill", "", JsonValue.Create("node 2"), error: "boom");
        }
        var ops = HistoryFile.Read(path);
        Assert.Equal(801, ops.Count);
        Assert.Equal(Enumerable.Range(0, 801).Select(i => (long)i), ops.Select(o => o.Index));
        for (var i = 1; i < ops.Count; i++)
        {
            Assert.True(ops[i].Time >= ops[i - 1].Time, $"time goes back at line {i}");
        }
        Assert.Equal("boom", ops[^1].Error);
        Assert.Equal("node 2", ops[^1].Value!.GetValue<string>());

        var paired = HistoryFile.Pair(ops);
        Assert.Equal(400, paired.Count);
        Assert.All(paired, o => Assert.Equal(OpType.Ok, o.Type));
        Assert.All(paired, o => Assert.True(o.ReturnTime >= o.CallTime));

        // Write what was read, read it again: identical records (JsonNode compared by text).
        var copy = Path.Combine(_dir, "copy.jsonl");
        HistoryFile.Write(copy, ops);
        Assert.Equal(File.ReadAllText(path), File.ReadAllText(copy));
        Assert.Equal(ops.Select(HistoryFile.Serialize), HistoryFile.Read(copy).Select(HistoryFile.Serialize));
    }

    [Fact]
    public void Blank_lines_are_skipped_and_a_malformed_line_is_reported_with_its_number()
    {
        var good = """{"index":0,"process":1,"type":"invoke","f":"read","key":"x","time":0}""";
        Assert.Single(HistoryFile.Read(new StringReader($"\n{good}\n   \n")));

        var e = Assert.Throws<HistoryFormatException>(() =>
            HistoryFile.Read(new StringReader($"{good}\n\n{{\"index\":1,\"process\":1,\"type\":\"okay\"\n{good}\n"), "h.jsonl"));
        Assert.Equal(3, e.LineNumber);
        Assert.StartsWith("h.jsonl:3:", e.Message);

        var missing = Assert.Throws<HistoryFormatException>(() => HistoryFile.Read(new StringReader("{\"index\":0}")));
        Assert.Equal(1, missing.LineNumber);
    }

    [Fact]
    public void Pairing_makes_an_unfinished_invoke_an_info_op_ending_at_infinity()
    {
        var ops = Hist.Ops("1 invoke write x 1 | 2 invoke read x | -1 invoke kill n 1 | 2 ok read x 1 | 3 invoke cas x [1,2] | 3 fail cas x [1,2]");
        Assert.Equal(3, ops.Count);
        var w = ops[0];
        Assert.Equal(("write", OpType.Info, Operation.Infinity, Operation.Infinity), (w.F, w.Type, w.ReturnTime, w.CompleteIndex));
        Assert.False(w.Completed);
        var r = ops[1];
        Assert.Equal((OpType.Ok, 1L, 1L, 3L, 10L, 30L), (r.Type, r.Value!.GetValue<long>(), r.InvokeIndex, r.CompleteIndex, r.CallTime, r.ReturnTime));
        Assert.Equal(OpType.Fail, ops[2].Type);
        Assert.Equal("[1,2]", ops[2].InvokeValue!.ToJsonString());
    }

    [Fact]
    public void Pairing_rejects_a_completion_without_an_invoke_and_a_double_invoke()
    {
        Assert.Throws<HistoryFormatException>(() => Hist.Ops("1 ok read x 1"));
        Assert.Throws<HistoryFormatException>(() => Hist.Ops("1 invoke read x | 1 invoke read x"));
    }
}
