using System.Text;
using KvCluster.NodeAgent.Logs;
using Microsoft.Extensions.Time.Testing;

namespace KvCluster.NodeAgent.Tests.Logs;

public sealed class CriLogTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("crilog-").FullName;

    private string LogPath => Path.Combine(_dir, "0.log");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Writer_writes_cri_records_for_both_streams()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2016-10-06T00:17:09.6697942Z"));
        using (var w = new CriLogWriter(LogPath, time: time))
        {
            await w.PumpAsync(Bytes("one\ntwo\n"), Bytes("oops\n"), CancellationToken.None);
        }

        var lines = File.ReadAllLines(LogPath);
        Assert.Equal(3, lines.Length);
        Assert.Contains("2016-10-06T00:17:09.669794200Z stdout F one", lines);
        Assert.Contains("2016-10-06T00:17:09.669794200Z stdout F two", lines);
        Assert.Contains("2016-10-06T00:17:09.669794200Z stderr F oops", lines);
        Assert.True(Array.IndexOf(lines, "2016-10-06T00:17:09.669794200Z stdout F one") < Array.IndexOf(lines, "2016-10-06T00:17:09.669794200Z stdout F two"));
    }

    [Fact]
    public async Task Long_lines_and_an_unfinished_last_line_are_partial_and_read_back_joined()
    {
        var big = new string('x', CriLogEntry.MaxLineBytes + 100);
        using (var w = new CriLogWriter(LogPath))
        {
            await w.PumpAsync(Bytes(big + "\nend"), LogStream.Stdout, CancellationToken.None);
        }

        var records = File.ReadAllLines(LogPath).Select(l => l.Split(' ', 4)).ToList();
        Assert.Equal(["P", "F", "P"], records.Select(r => r[2]));
        Assert.Equal(CriLogEntry.MaxLineBytes, records[0][3].Length);
        Assert.Equal(100, records[1][3].Length);
        Assert.Equal(big + "\nend", await ReadAll(new LogReadOptions()));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_terminals_unfinished_line_is_written_as_it_comes_a_pipes_when_the_line_ends(bool terminal)
    {
        // A shell's prompt on a terminal ("/ # ", no newline) must reach kubectl attach before the user types a line.
        var pipe = new System.IO.Pipelines.Pipe();
        using var w = new CriLogWriter(LogPath);
        var pumping = w.PumpAsync(pipe.Reader.AsStream(), LogStream.Stdout, CancellationToken.None, terminal);
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes("/ # "));
        var sw = System.Diagnostics.Stopwatch.StartNew();
        string Log() => File.Exists(LogPath) ? File.ReadAllText(LogPath) : "";
        while (!Log().Contains("stdout P / # ", StringComparison.Ordinal) && sw.Elapsed < TimeSpan.FromSeconds(terminal ? 10 : 1))
        {
            await Task.Delay(20);
        }

        Assert.Equal(terminal, Log().Contains("stdout P / # ", StringComparison.Ordinal));
        await pipe.Writer.WriteAsync(Encoding.UTF8.GetBytes("ls\n"));
        await pipe.Writer.CompleteAsync();
        await pumping;
        Assert.Equal("/ # ls\n", await ReadAll(new LogReadOptions()));
    }

    [Fact]
    public void Parse_accepts_go_rfc3339nano_and_tags()
    {
        Assert.True(CriLogEntry.TryParse("2016-10-06T00:17:09.669794202Z stdout P:x a b"u8, out var e));
        Assert.Equal(LogStream.Stdout, e.Stream);
        Assert.True(e.Partial);
        Assert.Equal("a b", Encoding.UTF8.GetString(e.Content.Span));
        Assert.Equal(DateTimeOffset.Parse("2016-10-06T00:17:09.6697942Z"), e.Time);
        Assert.True(CriLogEntry.TryParse("2016-10-06T00:17:09Z stderr F "u8, out e));
        Assert.Equal(0, e.Content.Length);
        Assert.False(CriLogEntry.TryParse("not a record"u8, out _));
    }

    [Fact]
    public async Task Rotation_keeps_max_files_and_the_reader_reads_them_in_order()
    {
        var opts = new CriLogOptions(MaxSize: 2000, MaxFiles: 3);
        using (var w = new CriLogWriter(LogPath, opts))
        {
            for (int i = 0; i < 200; i++)
            {
                w.Write(LogStream.Stdout, Encoding.UTF8.GetBytes($"line {i:D3}"), partial: false);
            }
        }

        var files = CriLogFiles.InOrder(LogPath);
        Assert.Equal(3, files.Count);
        Assert.Equal(LogPath, files[^1]);
        Assert.All(files, f => Assert.True(new FileInfo(f).Length <= 2000));
        var lines = (await ReadAll(new LogReadOptions())).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("line 199", lines[^1]);
        Assert.Equal(Enumerable.Range(200 - lines.Length, lines.Length).Select(i => $"line {i:D3}"), lines);
    }

    [Fact]
    public async Task Tail_since_timestamps_and_limit_bytes()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2024-01-01T00:00:00Z"));
        using (var w = new CriLogWriter(LogPath, time: time))
        {
            for (int i = 1; i <= 5; i++)
            {
                w.Write(LogStream.Stdout, Encoding.UTF8.GetBytes($"l{i}"), partial: false);
                time.Advance(TimeSpan.FromMinutes(1));
            }
        }

        Assert.Equal("l4\nl5\n", await ReadAll(new LogReadOptions { TailLines = 2 }));
        Assert.Equal("", await ReadAll(new LogReadOptions { TailLines = 0 }));
        Assert.Equal("l3\nl4\nl5\n", await ReadAll(new LogReadOptions { Since = DateTimeOffset.Parse("2024-01-01T00:02:00Z") }));
        Assert.Equal("2024-01-01T00:04:00.000000000Z l5\n", await ReadAll(new LogReadOptions { TailLines = 1, Timestamps = true }));
        Assert.Equal("l1\nl", await ReadAll(new LogReadOptions { LimitBytes = 4 }));
    }

    [Fact]
    public async Task Follow_crosses_rotation_and_ends_when_the_container_stops()
    {
        bool running = true;
        var opts = new CriLogOptions(MaxSize: 300, MaxFiles: 10);
        using var w = new CriLogWriter(LogPath, opts);
        w.Write(LogStream.Stdout, "before"u8, partial: false);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var got = new List<string>();
        var follow = Task.Run(async () =>
        {
            await foreach (var line in CriLogReader.ReadAsync(LogPath, () => Volatile.Read(ref running), new LogReadOptions { Follow = true, PollInterval = TimeSpan.FromMilliseconds(10) }, cts.Token))
            {
                lock (got)
                {
                    got.Add(Encoding.UTF8.GetString(line.Content));
                }
            }
        });

        await WaitUntil(() => Count(got) == 1);
        for (int i = 0; i < 40; i++)
        {
            w.Write(LogStream.Stderr, Encoding.UTF8.GetBytes($"during {i:D2}"), partial: false);
            if (i % 7 == 0)
            {
                await Task.Delay(15);
            }
        }

        w.Write(LogStream.Stdout, "unfinished"u8, partial: true);
        Assert.True(CriLogFiles.Rotated(LogPath).Count >= 3, "the writes should have rotated the log");
        Volatile.Write(ref running, false);
        await follow.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["before", .. Enumerable.Range(0, 40).Select(i => $"during {i:D2}"), "unfinished"], got);
    }

    [Fact]
    public async Task Follow_waits_for_a_log_that_does_not_exist_yet()
    {
        bool running = true;
        var lines = new List<string>();
        var follow = Task.Run(async () =>
        {
            await foreach (var line in CriLogReader.ReadAsync(LogPath, () => Volatile.Read(ref running), new LogReadOptions { Follow = true, PollInterval = TimeSpan.FromMilliseconds(10) }, CancellationToken.None))
            {
                lock (lines)
                {
                    lines.Add(Encoding.UTF8.GetString(line.Content));
                }
            }
        });
        await Task.Delay(50);
        using (var w = new CriLogWriter(LogPath))
        {
            w.Write(LogStream.Stdout, "late"u8, partial: false);
        }

        await WaitUntil(() => Count(lines) == 1);
        Volatile.Write(ref running, false);
        await follow.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["late"], lines);
    }

    [Fact]
    public async Task Reading_from_now_skips_what_is_there_and_keeps_what_is_written_before_the_enumeration_starts()
    {
        // kubectl attach -i: the reader finds the log's end, then stdin is fed, and the container may answer before anyone enumerates.
        bool running = true;
        using var w = new CriLogWriter(LogPath);
        w.Write(LogStream.Stdout, "old"u8, partial: false);
        var lines = CriLogReader.ReadFromNowAsync(LogPath, () => Volatile.Read(ref running), CancellationToken.None);
        w.Write(LogStream.Stdout, "answer"u8, partial: false);
        w.Write(LogStream.Stderr, "oops"u8, partial: false);
        Volatile.Write(ref running, false);
        var got = new List<string>();
        await foreach (var line in lines)
        {
            got.Add($"{line.Stream} {Encoding.UTF8.GetString(line.Content)}");
        }

        Assert.Equal(["Stdout answer", "Stderr oops"], got);
    }

    private async Task<string> ReadAll(LogReadOptions options)
    {
        using var output = new MemoryStream();
        await CriLogReader.CopyToAsync(LogPath, () => false, options, output, CancellationToken.None);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    private static MemoryStream Bytes(string s) => new(Encoding.UTF8.GetBytes(s));

    private static int Count(List<string> list)
    {
        lock (list)
        {
            return list.Count;
        }
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        for (int i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(20);
        }

        Assert.True(condition(), "timed out waiting");
    }
}
