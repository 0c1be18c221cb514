using System.Text.Json.Nodes;
using KvCluster.JepsenLite.Checker;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Tests;

/// <summary>
/// Histories simulated against a real (atomic) register: each op takes effect at a random point between
/// its invoke and its completion, so every such history is linearizable; some ops end info (applied or
/// not), and cas ops whose compare fails end fail.
/// </summary>
public sealed class RandomHistoryTests
{
    private static List<Op> Simulate(int seed, int clients, int opsPerClient, string[] keys)
    {
        var rng = new Random(seed);
        var plan = new List<(long Time, int Order, int Op)>();
        var ops = new List<(int Client, string F, string Key, long A, long B, bool Info, bool Applies)>();
        for (var c = 0; c < clients; c++)
        {
            long t = 0;
            for (var i = 0; i < opsPerClient; i++)
            {
                var start = t + rng.Next(1, 5);
                var lin = start + rng.Next(0, 10);
                var end = lin + rng.Next(0, 10);
                t = end;
                var f = rng.Next(3) switch { 0 => "read", 1 => "write", _ => "cas" };
                var info = f != "read" && rng.Next(20) == 0;
                ops.Add((c, f, keys[rng.Next(keys.Length)], rng.Next(4), rng.Next(4), info, !info || rng.Next(2) == 0));
                var id = ops.Count - 1;
                plan.Add((start, 0, id));
                plan.Add((lin, 1, id));
                plan.Add((end, 2, id));
            }
        }
        plan.Sort((x, y) => x.Time != y.Time ? x.Time.CompareTo(y.Time) : x.Order.CompareTo(y.Order));
        var registers = keys.ToDictionary(k => k, _ => (long?)null);
        var process = Enumerable.Range(0, clients).ToArray();
        var nextProcess = clients;
        var results = new Dictionary<int, (OpType Type, JsonNode? Value)>();
        var history = new List<Op>();
        foreach (var (time, order, id) in plan)
        {
            var o = ops[id];
            JsonNode? asked = o.F switch { "write" => JsonValue.Create(o.A), "cas" => new JsonArray(o.A, o.B), _ => null };
            switch (order)
            {
                case 0:
                    history.Add(new Op(history.Count, process[o.Client], OpType.Invoke, o.F, o.Key, asked, time));
                    break;
                case 1:
                    var held = registers[o.Key];
                    if (o.F == "read")
                    {
                        results[id] = (OpType.Ok, held is null ? null : JsonValue.Create(held.Value));
                    }
                    else if (o.F == "write")
                    {
                        registers[o.Key] = o.Applies ? o.A : held;
                        results[id] = (OpType.Ok, asked);
                    }
                    else
                    {
                        var match = held == o.A;
                        registers[o.Key] = match && o.Applies ? o.B : held;
                        results[id] = (match ? OpType.Ok : OpType.Fail, asked);
                    }
                    break;
                default:
                    var (type, value) = results[id];
                    history.Add(new Op(history.Count, process[o.Client], o.Info ? OpType.Info : type, o.F, o.Key, value?.DeepClone(), time));
                    if (o.Info)
                    {
                        process[o.Client] = nextProcess++;
                    }
                    break;
            }
        }
        return history;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Simulated_linearizable_histories_are_valid_and_a_corrupted_read_is_found(int seed)
    {
        var history = Simulate(seed, clients: 10, opsPerClient: 300, keys: ["a", "b", "c"]);
        var result = RegisterChecker.Check(history, TimeSpan.FromSeconds(30));
        Assert.True(result.Validity == Validity.Valid, string.Join("; ", result.Keys.Select(k => $"{k.Key} {k.Validity} {k.Explanation}")));
        Assert.Equal(3, result.Keys.Count);

        // Make an early ok read of key b return a value nobody wrote. (Early: proving a history invalid
        // means exhausting every configuration before the bad read, and each pending info op doubles them.)
        var i = history.FindIndex(history.Count / 10, o => o.Type == OpType.Ok && o.F == "read" && o.Key == "b");
        history[i] = history[i] with { Value = JsonValue.Create(99) };
        var broken = RegisterChecker.Check(history, TimeSpan.FromSeconds(20));
        Assert.Equal(Validity.Invalid, broken.Validity);
        var bad = Assert.Single(broken.InvalidKeys);
        Assert.Equal("b", bad.Key);
        Assert.Equal(history[i].Index, bad.FailingOperation!.CompleteIndex);
    }
}
