using KvCluster.JepsenLite.Checker;

namespace KvCluster.JepsenLite.Tests;

public sealed class SetCheckerTests
{
    [Fact]
    public void All_acknowledged_adds_read_is_valid_and_recovered_info_adds_are_reported()
    {
        var result = SetChecker.Check(Hist.Ops("""
            1 invoke add s 1
            1 ok add s 1
            2 invoke add s 2
            2 info add s 2
            3 invoke add s 3
            3 fail add s 3
            4 invoke add s 4
            4 info add s 4
            5 invoke read s
            5 ok read s [1,2]
            """));
        Assert.Equal(Validity.Valid, result.Validity);
        var s = Assert.Single(result.Sets);
        Assert.Equal([2L], s.Recovered);
        Assert.Empty(s.Lost);
        Assert.Empty(s.Unexpected);
        Assert.Equal([1L, 2L, 3L, 4L], s.Attempted);
        Assert.Equal([1L], s.Acknowledged);
    }

    [Fact]
    public void An_acknowledged_add_missing_from_the_final_read_is_lost()
    {
        var result = SetChecker.Check(Hist.Ops("""
            1 invoke add s 1
            1 ok add s 1
            1 invoke add s 2
            1 ok add s 2
            5 invoke read s
            5 ok read s [1,2]
            5 invoke read s
            5 ok read s [2]
            """));
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal([1L], Assert.Single(result.Sets).Lost);
    }

    [Fact]
    public void An_element_never_added_is_unexpected()
    {
        var result = SetChecker.Check(Hist.Ops("1 invoke add s 1 | 1 ok add s 1 | 5 invoke read s | 5 ok read s [1,99]"));
        Assert.Equal(Validity.Invalid, result.Validity);
        var s = Assert.Single(result.Sets);
        Assert.Equal([99L], s.Unexpected);
        Assert.Empty(s.Lost);
    }

    [Fact]
    public void A_failed_add_that_is_read_is_invalid()
    {
        var result = SetChecker.Check(Hist.Ops("1 invoke add s 1 | 1 fail add s 1 | 5 invoke read s | 5 ok read s [1]"));
        Assert.Equal(Validity.Invalid, result.Validity);
        Assert.Equal([1L], result.Sets[0].FailedButPresent);
    }

    [Fact]
    public void An_add_concurrent_with_the_final_read_is_not_lost()
    {
        var result = SetChecker.Check(Hist.Ops("5 invoke read s | 1 invoke add s 1 | 1 ok add s 1 | 5 ok read s []"));
        Assert.Equal(Validity.Valid, result.Validity);
        Assert.Equal([1L], result.Sets[0].Unconfirmed);
    }

    [Fact]
    public void No_successful_read_is_unknown_and_sets_are_checked_separately()
    {
        var result = SetChecker.Check(Hist.Ops("1 invoke add a 1 | 1 ok add a 1 | 2 invoke read a | 2 info read a | 3 invoke add b 1 | 3 ok add b 1 | 4 invoke read b | 4 ok read b [1]"));
        Assert.Equal(Validity.Unknown, result.Validity);
        Assert.Equal(Validity.Unknown, result.Sets.Single(s => s.Key == "a").Validity);
        Assert.Equal(Validity.Valid, result.Sets.Single(s => s.Key == "b").Validity);
    }
}
