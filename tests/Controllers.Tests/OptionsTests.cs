namespace KvCluster.Controllers.Tests;

public sealed class OptionsTests
{
    [Fact]
    public void Flags_take_both_forms_and_go_durations()
    {
        var o = ControllersOptions.Parse(["--kubeconfig", "k.conf", "--node-monitor-grace-period=1m", "--node-monitor-period", "250ms", "--port", "0", "--scheduler-name", "mine"]);
        Assert.Equal("k.conf", o.Kubeconfig);
        Assert.Equal(TimeSpan.FromMinutes(1), o.NodeMonitorGracePeriod);
        Assert.Equal(TimeSpan.FromMilliseconds(250), o.NodeMonitorPeriod);
        Assert.Equal(0, o.Port);
        Assert.Equal("mine", o.SchedulerName);
        var defaults = ControllersOptions.Parse([]);
        Assert.Equal((TimeSpan.FromSeconds(40), TimeSpan.FromSeconds(5), 10259, "default-scheduler"),
            (defaults.NodeMonitorGracePeriod, defaults.NodeMonitorPeriod, defaults.Port, defaults.SchedulerName));
    }

    [Theory]
    [InlineData(new[] { "--node-monitor-period", "5" }, "invalid value \"5\" for --node-monitor-period: want a duration such as 500ms, 10s, 1m")]
    [InlineData(new[] { "--node-monitor-period", "-1s" }, "invalid value \"-1s\" for --node-monitor-period: want a duration such as 500ms, 10s, 1m")]
    [InlineData(new[] { "--port", "70000" }, "invalid value for --port: want a port number (0-65535)")]
    [InlineData(new[] { "--kubeconfig" }, "flag needs an argument: --kubeconfig")]
    [InlineData(new[] { "--nope" }, "unknown flag: --nope")]
    [InlineData(new[] { "stray" }, "unexpected argument \"stray\"")]
    public void Bad_flags_say_what_is_wrong(string[] args, string message) =>
        Assert.Equal(message, Assert.Throws<ArgumentException>(() => ControllersOptions.Parse(args)).Message);
}
