using System.IO.Pipelines;

namespace KvCluster.NodeAgent.Server.RemoteCommand;

/// <summary>
/// What an exec's client sends, before and after the command starts. A TTY command starts on the client's
/// terminal size, which comes as a message after the connection: until the command runs, stdin waits in a
/// pipe (up to its 64 KiB, then the client is held back) and the latest size is kept; once it runs, stdin is
/// copied to it and resizes go straight to it.
/// </summary>
internal sealed class ExecInput
{
    private readonly Pipe _stdin = new();
    private readonly TaskCompletionSource<TerminalSize> _firstSize = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _lock = new();
    private IExecSession? _exec;
    private TerminalSize? _latest;

    public ExecInput() => Stdin = _stdin.Writer.AsStream();

    /// <summary>Where the receive loop writes stdin.</summary>
    public Stream Stdin { get; }

    public void Resize(ushort columns, ushort rows)
    {
        var size = new TerminalSize(columns, rows);
        lock (_lock)
        {
            _latest = size;
            _exec?.Resize(columns, rows);
        }

        _firstSize.TrySetResult(size);
    }

    /// <summary>The client closed stdin: the command sees end of input once it has read what came before.</summary>
    public void CloseStdin() => _stdin.Writer.Complete();

    /// <summary>The client's first terminal size, or null when none came within <paramref name="wait"/>.</summary>
    public async Task<TerminalSize?> FirstSizeAsync(TimeSpan wait, CancellationToken ct)
    {
        try
        {
            return await _firstSize.Task.WaitAsync(wait, ct);
        }
        catch (TimeoutException)
        {
            return null;
        }
    }

    /// <summary>
    /// Hands input to the started command: a size that came after <paramref name="startedWith"/> is applied, and
    /// stdin is copied until the client closes it (then the command's stdin is closed) or <paramref name="ct"/> ends.
    /// </summary>
    public Task FeedAsync(IExecSession exec, TerminalSize? startedWith, CancellationToken ct)
    {
        lock (_lock)
        {
            _exec = exec;
            if (_latest is { } size && size != startedWith)
            {
                exec.Resize(size.Columns, size.Rows);
            }
        }

        return CopyStdinAsync(exec.Stdin, ct);
    }

    private async Task CopyStdinAsync(Stream target, CancellationToken ct)
    {
        var reader = _stdin.Reader;
        try
        {
            while (true)
            {
                var read = await reader.ReadAsync(ct);
                foreach (var segment in read.Buffer)
                {
                    await target.WriteAsync(segment, ct);
                }

                await target.FlushAsync(ct);
                reader.AdvanceTo(read.Buffer.End);
                if (read.IsCompleted)
                {
                    break;
                }
            }

            await target.DisposeAsync();
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or OperationCanceledException)
        {
            // The command no longer reads its stdin, or the session ended.
        }
        finally
        {
            await reader.CompleteAsync();
        }
    }
}
