using System.Diagnostics;
using System.Text;
using KvCluster.JepsenLite.Checker;
using KvCluster.JepsenLite.History;

namespace KvCluster.JepsenLite.Tests;

public sealed class RegisterCheckerTests
{
    private static readonly TimeSpan _limit = TimeSpan.FromSeconds(10);

    public static TheoryData<string, string> Linearizable => new()
    {
        { "empty history", "" },
        { "read of an absent key is null", "1 invoke read x | 1 ok read x null" },
        { "sequential write then read", "1 invoke write x 1 | 1 ok write x 1 | 1 invoke read x | 1 ok read x 1" },
        { "concurrent writes, later read sees the first", "1 invoke write x 1 | 2 invoke write x 2 | 1 ok write x 1 | 2 ok write x 2 | 3 invoke read x | 3 ok read x 1" },
        { "concurrent writes, later read sees the second", "1 invoke write x 1 | 2 invoke write x 2 | 2 ok write x 2 | 1 ok write x 1 | 3 invoke read x | 3 ok read x 2" },
        { "read concurrent with a write sees the old value", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 3 invoke read x | 3 ok read x 1 | 2 ok write x 2" },
        { "read concurrent with a write sees the new value", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 3 invoke read x | 3 ok read x 2 | 2 ok write x 2" },
        { "read invoked before a write still sees it when concurrent", "3 invoke read x | 1 invoke write x 1 | 1 ok write x 1 | 3 ok read x 1" },
        { "a cas that succeeds", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke cas x [1,2] | 2 ok cas x [1,2] | 3 invoke read x | 3 ok read x 2" },
        { "a cas from absent", "2 invoke cas x [null,5] | 2 ok cas x [null,5] | 3 invoke read x | 3 ok read x 5" },
        { "a failed cas is dropped", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke cas x [5,6] | 2 fail cas x [5,6] | 3 invoke read x | 3 ok read x 1" },
        { "a failed write is dropped", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 9 | 2 fail write x 9 | 3 invoke read x | 3 ok read x 1" },
        { "an info write later observed", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 2 info write x 2 | 3 invoke read x | 3 ok read x 2" },
        { "an info write never observed", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 2 info write x 2 | 3 invoke read x | 3 ok read x 1 | 3 invoke read x | 3 ok read x 1" },
        { "an info write taking effect late, after reads of the old value", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 2 info write x 2 | 3 invoke read x | 3 ok read x 1 | 3 invoke read x | 3 ok read x 2" },
        { "an invoke never completed (info) is observed", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 3 invoke read x | 3 ok read x 2" },
        { "an info read is dropped whatever it says", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke read x | 2 info read x 42" },
        { "an info cas that may have failed", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke cas x [7,8] | 2 info cas x [7,8] | 3 invoke read x | 3 ok read x 1" },
        { "nemesis lines are ignored", "-1 invoke kill n1 \"node 1\" | 1 invoke write x 1 | 1 ok write x 1 | -1 info kill n1 \"node 1\" | 3 invoke read x | 3 ok read x 1" },
    };

    public static TheoryData<string, string, int> NotLinearizable => new()
    {
        // (name, history, process of the op that cannot be linearized)
        { "stale read after a newer write completed", "1 invoke write x 1 | 1 ok write x 1 | 1 invoke write x 2 | 1 ok write x 2 | 3 invoke read x | 3 ok read x 1 | 4 invoke read x | 4 ok read x 2", 3 },
        { "lost write: later reads see the value before it", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 2 ok write x 2 | 3 invoke read x | 3 ok read x 1 | 3 invoke read x | 3 ok read x 1", 3 },
        { "non-monotonic reads", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 3 invoke read x | 3 ok read x 2 | 3 invoke read x | 3 ok read x 1 | 2 ok write x 2", 3 },
        { "read of a value never written", "1 invoke write x 1 | 1 ok write x 1 | 3 invoke read x | 3 ok read x 7", 3 },
        { "read of null after a write", "1 invoke write x 1 | 1 ok write x 1 | 3 invoke read x | 3 ok read x null", 3 },
        { "an ok cas whose compare cannot hold", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke cas x [3,4] | 2 ok cas x [3,4]", 2 },
        { "a failed write observed", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 2 fail write x 2 | 3 invoke read x | 3 ok read x 2", 3 },
        { "an info write observed, then the value before it", "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 2 | 2 info write x 2 | 3 invoke read x | 3 ok read x 2 | 3 invoke read x | 3 ok read x 1", 3 },
        { "an info write observed before its invoke", "1 invoke write x 1 | 1 ok write x 1 | 3 invoke read x | 3 ok read x 2 | 2 invoke write x 2 | 2 info write x 2", 3 },
    };

    [Theory]
    [MemberData(nameof(Linearizable))]
    public void Linearizable_histories_are_valid(string name, string history)
    {
        var result = RegisterChecker.Check(Hist.Parse(history), _limit);
        Assert.True(result.Validity == Validity.Valid, $"{name}: {result.Validity} {result.Keys.FirstOrDefault()?.Explanation}");
    }

    [Theory]
    [MemberData(nameof(NotLinearizable))]
    public void Non_linearizable_histories_are_invalid_and_name_the_failing_op(string name, string history, int failingProcess)
    {
        var result = RegisterChecker.Check(Hist.Parse(history), _limit);
        Assert.True(result.Validity == Validity.Invalid, $"{name}: {result.Validity}");
        var key = Assert.Single(result.InvalidKeys);
        Assert.Equal("x", key.Key);
        Assert.NotNull(key.FailingOperation);
        Assert.Equal(failingProcess, key.FailingOperation.Process);
        Assert.Contains("cannot be linearized", key.Explanation);
        Assert.DoesNotContain(key.FailingOperation, key.LinearizedPrefix);
    }

    [Fact]
    public void Fail_ops_info_reads_and_unobserved_info_writes_are_not_checked()
    {
        var result = RegisterChecker.Check(Hist.Parse("1 invoke write x 1 | 1 ok write x 1 | 2 invoke read x | 2 info read x | 3 invoke write x 2 | 3 fail write x 2 | 4 invoke write x 3 | 4 info write x 3"), _limit);
        Assert.Equal(["write 1 Ok"], result.Keys[0].Operations.Select(o => $"{o.F} {o.InvokeValue} {o.Type}"));

        // An info write that someone reads is kept.
        result = RegisterChecker.Check(Hist.Parse("1 invoke write x 1 | 1 ok write x 1 | 4 invoke write x 3 | 4 info write x 3 | 5 invoke read x | 5 ok read x 3"), _limit);
        Assert.Equal(["write 1 Ok", "write 3 Info", "read  Ok"], result.Keys[0].Operations.Select(o => $"{o.F} {o.InvokeValue} {o.Type}"));
    }

    [Fact]
    public void Many_unobserved_info_writes_do_not_blow_up_a_late_violation()
    {
        // 40 timed-out writes of values nobody reads, pending through the whole history, then a stale read.
        var text = new StringBuilder();
        for (var p = 0; p < 40; p++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{p} invoke write x {100 + p}\n{p} info write x {100 + p}\n");
        }
        for (var v = 1; v <= 50; v++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"50 invoke write x {v}\n50 ok write x {v}\n51 invoke read x\n51 ok read x {v}\n");
        }
        text.Append("51 invoke read x\n51 ok read x 49\n");
        var result = RegisterChecker.Check(Hist.Parse(text.ToString()), _limit);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(100, result.Keys[0].LinearizedPrefix.Count);
    }

    [Fact]
    public void An_observed_info_write_still_counts_when_it_is_read_among_unobserved_ones()
    {
        var text = "1 invoke write x 1 | 1 ok write x 1 | 2 invoke write x 7 | 2 info write x 7 | 3 invoke write x 8 | 3 info write x 8 | 4 invoke read x | 4 ok read x 7 | 4 invoke read x | 4 ok read x 1";
        Assert.Equal(Validity.Invalid, RegisterChecker.Check(Hist.Parse(text), _limit).Validity);
        Assert.Equal(Validity.Valid, RegisterChecker.Check(Hist.Parse(text.Replace("ok read x 1", "ok read x 7")), _limit).Validity);
    }

    [Fact]
    public void The_longest_prefix_of_a_stale_read_holds_both_writes()
    {
        var result = RegisterChecker.Check(Hist.Parse("1 invoke write x 1 | 1 ok write x 1 | 1 invoke write x 2 | 1 ok write x 2 | 3 invoke read x | 3 ok read x 1"), _limit);
        var key = Assert.Single(result.InvalidKeys);
        Assert.Equal(["write 1", "write 2"], key.LinearizedPrefix.Select(o => $"{o.F} {o.InvokeValue}"));
        Assert.Equal("read", key.FailingOperation!.F);
        Assert.Contains("read 1", key.Explanation);
        Assert.Contains("holds 2", key.Explanation);
    }

    [Fact]
    public void Keys_are_checked_alone_and_the_invalid_key_is_reported()
    {
        var history = """
            1 invoke write a 1
            2 invoke write b 1
            1 ok write a 1
            2 ok write b 1
            1 invoke write a 2
            1 ok write a 2
            3 invoke read b
            3 ok read b 1
            4 invoke read a
            4 ok read a 1
            5 invoke read c
            5 ok read c null
            """;
        var result = RegisterChecker.Check(Hist.Parse(history), _limit);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(["a", "b", "c"], result.Keys.Select(k => k.Key));
        Assert.Equal("a", Assert.Single(result.InvalidKeys).Key);
        Assert.Equal(Validity.Valid, result.Keys.Single(k => k.Key == "b").Validity);
        Assert.Equal(Validity.Valid, result.Keys.Single(k => k.Key == "c").Validity);
    }

    /// <summary>n concurrent writes, then a read of a value none wrote: every order of the writes is a dead end.</summary>
    private static string Hard(int n)
    {
        var text = new StringBuilder();
        for (var p = 0; p < n; p++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{p} invoke write x {p}\n");
        }
        for (var p = 0; p < n; p++)
        {
            text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{p} ok write x {p}\n");
        }
        text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{n} invoke read x\n{n} ok read x -1\n");
        return text.ToString();
    }

    [Fact]
    public void A_zero_deadline_on_a_large_concurrent_history_gives_unknown()
    {
        var result = RegisterChecker.Check(Hist.Parse(Hard(40)), TimeSpan.Zero);
        Assert.Equal(Validity.Unknown, result.Validity);
        Assert.Equal(Validity.Unknown, Assert.Single(result.Keys).Validity);
    }

    [Fact]
    public void A_short_deadline_stops_an_exponential_search()
    {
        var clock = Stopwatch.StartNew();
        var result = RegisterChecker.Check(Hist.Parse(Hard(30)), TimeSpan.FromMilliseconds(200));
        Assert.Equal(Validity.Unknown, result.Validity);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public void A_small_version_of_the_hard_history_is_decided_invalid()
    {
        var result = RegisterChecker.Check(Hist.Parse(Hard(8)), Timeout.InfiniteTimeSpan);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal(8, result.Keys[0].LinearizedPrefix.Count);
        Assert.Equal("read", result.Keys[0].FailingOperation!.F);
    }

    [Fact]
    public void The_cache_keeps_an_exponential_history_decidable()
    {
        // 14 concurrent writes: 14! orders, but only 2^14 × 15 (linearized set, value) configurations.
        var result = RegisterChecker.Check(Hist.Parse(Hard(14)), _limit);
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.InRange(result.Keys[0].Configurations, 1, (1 << 14) * 15);
    }

    [Fact]
    public void A_long_history_with_concurrency_is_checked_quickly()
    {
        // 4 processes, 2,000 rounds: each round all write concurrently, then each reads the same last value.
        var text = new StringBuilder();
        for (var round = 0; round < 2000; round++)
        {
            for (var p = 0; p < 4; p++)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{p} invoke write x {(round * 4) + p}\n");
            }
            for (var p = 3; p >= 0; p--)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{p} ok write x {(round * 4) + p}\n");
            }
            for (var p = 0; p < 4; p++)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{p} invoke read x\n");
            }
            for (var p = 0; p < 4; p++)
            {
                text.Append(System.Globalization.CultureInfo.InvariantCulture, $"{p} ok read x {(round * 4) + 2}\n");
            }
        }
        var result = RegisterChecker.Check(Hist.Parse(text.ToString()), TimeSpan.FromSeconds(30));
        Assert.Equal(Validity.Valid, result.Validity);
    }
}
