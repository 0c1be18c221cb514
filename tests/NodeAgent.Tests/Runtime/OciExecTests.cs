using System.Text;
using KvCluster.NodeAgent.Runtime;
using KvCluster.NodeAgent.Server;
using KvCluster.NodeAgent.Tests.Infra;

namespace KvCluster.NodeAgent.Tests.Runtime;

/// <summary>OciExec against a real runtime; each runtime gets the same tests (the derived classes below).</summary>
public abstract class OciExecTests<TContainer>(TContainer container) : IClassFixture<TContainer>
    where TContainer : TestContainer
{
    [Fact]
    public async Task Exec_without_tty_has_separate_streams_and_the_exit_code()
    {
        await using var exec = await Start(["sh", "-c", "echo out; echo err >&2; exit 3"], tty: false);
        await exec.Stdin.DisposeAsync();
        var (stdout, stderr) = await ReadBoth(exec);
        Assert.Equal(3, await exec.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Equal("out\n", stdout);
        Assert.Equal("err\n", stderr);
    }

    [Fact]
    public async Task Stdin_is_piped_through_cat()
    {
        await using var exec = await Start(["cat"], tty: false);
        await exec.Stdin.WriteAsync("hello\nworld"u8.ToArray());
        await exec.Stdin.DisposeAsync();
        var (stdout, _) = await ReadBoth(exec);
        Assert.Equal("hello\nworld", stdout);
        Assert.Equal(0, await exec.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Env_and_cwd_are_passed()
    {
        var options = new ExecOptions { Cwd = "/bin", Env = ["PATH=/bin", "GREETING=hi there"] };
        await using var exec = await OciExec.StartAsync(container.File, container.GlobalArgs, container.Id, ["sh", "-c", "echo $GREETING; pwd"], tty: false, options);
        await exec.Stdin.DisposeAsync();
        Assert.Equal(("hi there\n/bin\n", ""), await ReadBoth(exec));
        Assert.Equal(0, await exec.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Tty_exec_runs_on_a_pty_that_can_be_resized()
    {
        // Nothing is printed in the first half second: runc relays what the command writes before it has made its
        // own terminal raw with the line endings doubled ("\r\r\n"; seen once in a full run).
        await using var exec = await Start(["sh", "-c", "sleep 0.5; tty; stty size"], tty: true);
        Assert.Null(exec.Stderr);
        exec.Resize(100, 30);
        var output = await ReadToEnd(exec.Stdout);
        Assert.Matches(@"^/dev/pts/\d+\r\n30 100\r\n$", output);
        Assert.Equal(0, await exec.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Tty_exec_starts_on_a_pty_of_the_size_given()
    {
        // No Resize call: the size is the one given at the start. (runc copies it to the container's terminal just
        // after it starts the command, so a command that reads it at its very first instant can still see 0x0.)
        var options = new ExecOptions { TerminalSize = new TerminalSize(111, 33) };
        await using var exec = await OciExec.StartAsync(container.File, container.GlobalArgs, container.Id, ["sh", "-c", "sleep 0.3; stty size"], tty: true, options);
        Assert.Equal("33 111\r\n", await ReadToEnd(exec.Stdout));
        Assert.Equal(0, await exec.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Tty_stdin_reaches_the_process()
    {
        // The command lingers after its answer: crun exec --tty can stop relaying when the command exits before
        // it has copied the last output (the answer was lost about once in 20 runs).
        await using var exec = await Start(["sh", "-c", "read x; echo got-$x; sleep 0.2"], tty: true);
        await exec.Stdin.WriteAsync("abc\r"u8.ToArray());
        var output = await ReadToEnd(exec.Stdout);
        Assert.Contains("got-abc\r\n", output);
        Assert.Equal(0, await exec.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task A_command_that_is_not_there_faults_Exited_with_the_runtime_message()
    {
        await using var exec = await Start(["no-such-command"], tty: false);
        await exec.Stdin.DisposeAsync();
        await ReadBoth(exec);
        var e = await Assert.ThrowsAsync<ExecStartException>(() => exec.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
        Assert.Contains("no-such-command", e.Message);
    }

    [Fact]
    public async Task Exit_code_255_of_the_command_itself_is_an_exit_code()
    {
        await using var exec = await Start(["sh", "-c", "exit 255"], tty: false);
        await exec.Stdin.DisposeAsync();
        await ReadBoth(exec);
        Assert.Equal(255, await exec.Exited.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    private Task<IExecSession> Start(string[] command, bool tty) =>
        OciExec.StartAsync(container.File, container.GlobalArgs, container.Id, command, tty);

    private static async Task<(string Stdout, string Stderr)> ReadBoth(IExecSession exec)
    {
        var stdout = ReadToEnd(exec.Stdout);
        var stderr = ReadToEnd(exec.Stderr!);
        return (await stdout, await stderr);
    }

    private static async Task<string> ReadToEnd(Stream s)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        using var buf = new MemoryStream();
        await s.CopyToAsync(buf, timeout.Token);
        return Encoding.UTF8.GetString(buf.ToArray());
    }
}

public sealed class RuncExecTests(RuncContainer container) : OciExecTests<RuncContainer>(container);

public sealed class CrunExecTests(CrunContainer container) : OciExecTests<CrunContainer>(container);
