using System.Net;
using KvCluster.JepsenLite.Checker;
using KvCluster.JepsenLite.History;
using KvCluster.JepsenLite.Report;

namespace KvCluster.JepsenLite.Tests;

public sealed class ReportAndCommandTests : IDisposable
{
    private const string StaleRead = """
        -1 invoke partition n "n1 / n2,n3"
        -1 info partition n "isolated n1"
        1 invoke write x 1
        1 ok write x 1
        2 invoke write x 2
        5 invoke write x 5
        5 fail write x 5
        2 ok write x 2
        3 invoke read x
        3 ok read x 1
        -1 invoke heal n
        -1 info heal n
        4 invoke read y
        4 ok read y null
        """;

    private const string Fine = "1 invoke write x 1 | 1 ok write x 1 | 2 invoke read x | 2 ok read x 1 | 3 invoke write x 2 | 3 fail write x 2 | 4 invoke write x 3";

    private readonly string _dir = Directory.CreateTempSubdirectory("jepsen-lite-report-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string File(string name, string history)
    {
        var path = Path.Combine(_dir, name);
        HistoryFile.Write(path, Hist.Parse(history));
        return path;
    }

    [Fact]
    public void The_report_of_an_invalid_history_shows_the_failing_op_the_prefix_and_the_faults()
    {
        var history = Hist.Parse(StaleRead);
        var ops = HistoryFile.Pair(history);
        var result = RegisterChecker.Check(ops, TimeSpan.FromSeconds(5));
        var path = Path.Combine(_dir, "report.html");
        HtmlReport.Write(path, history, ops, result);
        var html = System.IO.File.ReadAllText(path);

        var failing = result.InvalidKeys.Single().FailingOperation!;
        Assert.Contains(WebUtility.HtmlEncode(failing.Describe()), html);
        Assert.Contains("class=\"failing-op\"", html);
        Assert.Contains("<svg", html);
        Assert.Contains("Longest linearizable prefix (2 ops)", html);
        Assert.Contains("partition", html);
        Assert.Contains("<tr class=\"valid\"><td>y</td>", html);
        Assert.Contains("<tr class=\"invalid\"><td>x</td>", html);
        Assert.DoesNotContain("<script", html);
        Assert.Contains("fill=\"#bbb\"", html); // the failed write is drawn too, in grey
        Assert.Contains("p5 write x 5 → fail", html);
    }

    [Fact]
    public void The_report_of_a_valid_history_has_no_failing_op()
    {
        var history = Hist.Parse(Fine);
        var ops = HistoryFile.Pair(history);
        var html = HtmlReport.Render(history, ops, RegisterChecker.Check(ops, TimeSpan.FromSeconds(5)));
        Assert.Contains("verdict-valid", html);
        Assert.DoesNotContain("failing-op", html);
        Assert.Contains("2 ok, 1 fail, 1 info", html);
    }

    [Fact]
    public void Check_prints_invalid_with_the_failing_op_and_exits_1()
    {
        var output = new StringWriter();
        var report = Path.Combine(_dir, "r.html");
        var code = CheckCommand.Run(File("h.jsonl", StaleRead), "register", TimeSpan.FromSeconds(5), output, report);
        Assert.Equal(1, code);
        var line = output.ToString().Trim();
        Assert.StartsWith("invalid:", line);
        Assert.Contains("key x", line);
        Assert.Contains("p3 read x", line);
        Assert.Contains("ok 4, fail 1, info 0", line);
        Assert.Single(line.Split('\n'));
        Assert.True(System.IO.File.Exists(report));
    }

    [Fact]
    public void Check_prints_valid_and_exits_0()
    {
        var output = new StringWriter();
        Assert.Equal(0, CheckCommand.Run(File("h.jsonl", Fine), "register", TimeSpan.FromSeconds(5), output));
        Assert.StartsWith("valid:", output.ToString());
        Assert.Contains("ok 2, fail 1, info 1", output.ToString());
    }

    [Fact]
    public void Check_exits_2_on_unknown_a_bad_workload_and_a_bad_file()
    {
        var hard = string.Join(" | ", Enumerable.Range(0, 30).Select(p => $"{p} invoke write x {p}")) + " | 99 invoke read x | 99 ok read x -1";
        var output = new StringWriter();
        Assert.Equal(2, CheckCommand.Run(File("hard.jsonl", hard), "register", TimeSpan.Zero, output));
        Assert.StartsWith("unknown:", output.ToString());

        Assert.Equal(2, CheckCommand.Run(File("h.jsonl", Fine), "queue", TimeSpan.FromSeconds(1), new StringWriter()));

        var bad = Path.Combine(_dir, "bad.jsonl");
        System.IO.File.WriteAllText(bad, "{not json\n");
        var err = new StringWriter();
        Assert.Equal(2, CheckCommand.Run(bad, "register", TimeSpan.FromSeconds(1), err));
        Assert.Contains(":1:", err.ToString());
        Assert.Equal(2, CheckCommand.Run(Path.Combine(_dir, "absent.jsonl"), "register", TimeSpan.FromSeconds(1), new StringWriter()));
    }

    [Fact]
    public void Check_runs_the_set_checker()
    {
        var output = new StringWriter();
        var code = CheckCommand.Run(File("s.jsonl", "1 invoke add s 1 | 1 ok add s 1 | 2 invoke read s | 2 ok read s [5]"), "set", TimeSpan.FromSeconds(1), output);
        Assert.Equal(1, code);
        Assert.Contains("lost [1] unexpected [5]", output.ToString());
        Assert.Equal(0, CheckCommand.Run(File("s2.jsonl", "1 invoke add s 1 | 1 ok add s 1 | 2 invoke read s | 2 ok read s [1]"), "set", TimeSpan.FromSeconds(1), new StringWriter()));
    }
}
