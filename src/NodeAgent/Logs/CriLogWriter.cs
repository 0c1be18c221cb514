namespace KvCluster.NodeAgent.Logs;

/// <summary>The kubelet's containerLogMaxSize (10Mi) and containerLogMaxFiles (5, the current file included).</summary>
public sealed record CriLogOptions(long MaxSize = 10 * 1024 * 1024, int MaxFiles = 5);

/// <summary>
/// Writes a container's stdout and stderr into one CRI log file (<see cref="CriLogEntry"/>), rotating it
/// as <see cref="CriLogFiles"/> names. Both streams may be pumped at once: each record is written whole,
/// under a lock, with one write call, so a reader never sees two records interleaved.
/// </summary>
public sealed class CriLogWriter : IDisposable
{
    private readonly Lock _lock = new();
    private readonly string _path;
    private readonly CriLogOptions _options;
    private readonly TimeProvider _time;
    private FileStream _file;

    public CriLogWriter(string path, CriLogOptions? options = null, TimeProvider? time = null)
    {
        _path = path;
        _options = options ?? new CriLogOptions();
        _time = time ?? TimeProvider.System;
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _file = Open(path);
    }

    /// <summary>
    /// Copies both streams into the log until each ends (the container's pipes close when it exits). A terminal's
    /// output (<paramref name="terminal"/>) is written as it comes, an unfinished line as a P record, so that a
    /// shell's prompt reaches kubectl attach before the user types a line.
    /// </summary>
    public Task PumpAsync(Stream stdout, Stream? stderr, CancellationToken ct, bool terminal = false) =>
        stderr is null
            ? PumpAsync(stdout, LogStream.Stdout, ct, terminal)
            : Task.WhenAll(PumpAsync(stdout, LogStream.Stdout, ct, terminal), PumpAsync(stderr, LogStream.Stderr, ct, terminal));

    /// <summary>Copies one stream into the log: a record per line, P records for each 16 KiB of a longer line and for an unfinished last line.</summary>
    public async Task PumpAsync(Stream source, LogStream stream, CancellationToken ct, bool terminal = false)
    {
        var pending = new byte[CriLogEntry.MaxLineBytes];
        int count = 0;
        var chunk = new byte[32 * 1024];
        int n;
        while ((n = await source.ReadAsync(chunk, ct)) > 0)
        {
            count = Split(chunk.AsSpan(0, n), pending, count, stream);
            if (terminal && count > 0)
            {
                Write(stream, pending.AsSpan(0, count), partial: true);
                count = 0;
            }
        }

        if (count > 0)
        {
            Write(stream, pending.AsSpan(0, count), partial: true);
        }
    }

    /// <summary>Writes one record (without newline in <paramref name="content"/>).</summary>
    public void Write(LogStream stream, ReadOnlySpan<byte> content, bool partial)
    {
        var record = new CriLogEntry(_time.GetUtcNow(), stream, partial, content.ToArray()).Encode();
        lock (_lock)
        {
            if (_file.Length > 0 && _file.Length + record.Length > _options.MaxSize)
            {
                Rotate();
            }

            _file.Write(record);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _file.Dispose();
        }
    }

    // Cuts the data into records; returns how much of an unfinished line is left in pending.
    private int Split(ReadOnlySpan<byte> data, byte[] pending, int count, LogStream stream)
    {
        while (!data.IsEmpty)
        {
            int nl = data.IndexOf((byte)'\n');
            int take = nl >= 0 ? nl : data.Length;
            int room = pending.Length - count;
            if (take > room || (take == room && nl < 0))
            {
                data[..room].CopyTo(pending.AsSpan(count));
                Write(stream, pending, partial: true);
                count = 0;
                data = data[room..];
                continue;
            }

            data[..take].CopyTo(pending.AsSpan(count));
            count += take;
            if (nl < 0)
            {
                break;
            }

            Write(stream, pending.AsSpan(0, count), partial: false);
            count = 0;
            data = data[(nl + 1)..];
        }

        return count;
    }

    private void Rotate()
    {
        _file.Dispose();
        File.Move(_path, CriLogFiles.NextRotatedName(_path, _time.GetUtcNow()));
        var rotated = CriLogFiles.Rotated(_path);
        for (int i = 0; i < rotated.Count - (_options.MaxFiles - 1); i++)
        {
            File.Delete(rotated[i]);
        }

        _file = Open(_path);
    }

    // Unbuffered, so each record is one write(2) and followers see it at once.
    private static FileStream Open(string path) =>
        new(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 0);
}
