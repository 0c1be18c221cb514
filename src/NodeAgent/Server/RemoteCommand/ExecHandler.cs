using KvCluster.NodeAgent.Logs;

namespace KvCluster.NodeAgent.Server.RemoteCommand;

/// <summary>
/// GET /exec/{ns}/{pod}/{container}?command=…&amp;input=1&amp;output=1&amp;error=1&amp;tty=1 and
/// GET /attach/{ns}/{pod}/{container}?input&amp;output&amp;error&amp;tty, upgraded to a channel WebSocket.
/// </summary>
internal static class ExecHandler
{
    // kubectl sends its terminal's size as soon as it is connected; a client that sends none gets a pty of 0x0 after this.
    private static readonly TimeSpan FirstResizeWait = TimeSpan.FromSeconds(2);

    public static async Task ExecAsync(HttpContext ctx, IContainerStreams streams, string ns, string pod, string container)
    {
        var command = ctx.Request.Query["command"].Where(c => c is not null).Select(c => c!).ToList();
        if (await Refuse(ctx, command.Count == 0 ? "you must specify at least one command for the container" : null) is not { } accepted)
        {
            return;
        }

        var (protocol, request) = accepted;
        ExecStart start;
        try
        {
            start = streams.FindExec(ns, pod, container);
        }
        catch (ContainerLookupException e)
        {
            // As the kubelet: an unknown pod or container is 404; a container that is not running, the runtime's error (500).
            await KubeletStatus.WriteTextAsync(ctx, e.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status500InternalServerError, e.Message);
            return;
        }

        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(protocol.Name);
        using var session = new ChannelSession(ws, protocol, request);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        var ct = cts.Token;
        var input = new ExecInput();
        IExecSession? exec = null;
        try
        {
            var receiving = session.ReceiveAsync(input.Stdin, input.Resize, input.CloseStdin, ct);
            await session.SendReadyAsync(ct);

            // A shell reads its terminal's size once, when it starts: a TTY command starts on the client's.
            var size = request.Tty && protocol.HasResize ? await input.FirstSizeAsync(FirstResizeWait, ct) : null;
            KubeletStatus? failed = null;
            try
            {
                exec = await start(command, request.Tty, size, ct);
            }
            catch (Exception e) when (e is ExecStartException or ContainerLookupException)
            {
                failed = KubeletStatus.ExecFailed(e.Message);
            }

            if (exec is null)
            {
                await session.FinishAsync(Task.CompletedTask, failed!, receiving, ct);
                return;
            }

            if (!request.Stdin)
            {
                // As with the kubelet's runtimes: a command asked to run without stdin reads end of input at once.
                input.CloseStdin();
            }

            _ = input.FeedAsync(exec, size, ct);
            var output = Task.WhenAll(
                session.PumpAsync(exec.Stdout, ChannelProtocol.Stdout, request.Stdout, ct),
                exec.Stderr is null ? Task.CompletedTask : session.PumpAsync(exec.Stderr, ChannelProtocol.Stderr, request.Stderr, ct));
            if (await Task.WhenAny(exec.Exited, receiving) == receiving && !exec.Exited.IsCompleted)
            {
                // The client left before the command ended; disposing the session stops it.
                return;
            }

            await session.FinishAsync(output, await ExitStatus(exec.Exited, command), receiving, ct);
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException)
        {
            // The connection broke.
        }
        finally
        {
            await cts.CancelAsync();
            if (exec is not null)
            {
                await exec.DisposeAsync();
            }
        }
    }

    public static async Task AttachAsync(HttpContext ctx, IContainerStreams streams, string ns, string pod, string container)
    {
        if (await Refuse(ctx, null) is not { } accepted)
        {
            return;
        }

        var (protocol, request) = accepted;
        ContainerAttach attach;
        try
        {
            attach = streams.Attach(ns, pod, container);
        }
        catch (ContainerLookupException e)
        {
            // As the kubelet: an unknown pod or container is 404; a container that is not running, the runtime's error (500).
            await KubeletStatus.WriteTextAsync(ctx, e.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status500InternalServerError, e.Message);
            return;
        }

        // stdinOnce: the first attach that feeds stdin owns it; when it closes stdin or goes, the container's stdin closes.
        var closesStdin = attach.StdinOnce && request.Stdin && attach.Stdin is not null;
        void CloseStdin()
        {
            if (closesStdin)
            {
                attach.Stdin!.Dispose();
            }
        }

        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(protocol.Name);
        using var session = new ChannelSession(ws, protocol, request);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        var ct = cts.Token;
        try
        {
            // Attach shows what the container writes from now on: the log's end is found before any stdin is fed,
            // so what the container answers to it is shown (it once was missed when the answer beat the reader).
            var lines = CriLogReader.ReadFromNowAsync(attach.Log.Path, attach.Log.Running, ct);
            await session.SendReadyAsync(ct);
            var receiving = session.ReceiveAsync(attach.Stdin, attach.Resize, CloseStdin, ct);
            var output = SendAsync(session, lines, attach.Tty, request, ct);
            if (await Task.WhenAny(output, receiving) == receiving)
            {
                return;
            }

            await session.FinishAsync(output, KubeletStatus.Success(), receiving, ct);
        }
        catch (Exception e) when (e is System.Net.WebSockets.WebSocketException or OperationCanceledException)
        {
            // The connection broke.
        }
        finally
        {
            await cts.CancelAsync();
            CloseStdin();
        }
    }

    // The checks before the upgrade; null (after answering) when the request cannot go on.
    private static async Task<(ChannelProtocol, StreamRequest)?> Refuse(HttpContext ctx, string? problem)
    {
        var request = StreamRequest.Parse(ctx.Request.Query);
        problem ??= !ctx.WebSockets.IsWebSocketRequest ? "unable to upgrade: missing upgrade headers in request"
            : !request.Any ? "you must specify at least 1 of stdin, stdout, stderr"
            : null;
        if (problem is not null)
        {
            await KubeletStatus.WriteTextAsync(ctx, StatusCodes.Status400BadRequest, problem);
            return null;
        }

        var offered = ctx.WebSockets.WebSocketRequestedProtocols;
        if (ChannelProtocol.Negotiate(offered) is not { } protocol)
        {
            await KubeletStatus.WriteTextAsync(ctx, StatusCodes.Status403Forbidden,
                $"requested protocol(s) are not supported: [{string.Join(' ', offered)}]; supports [{string.Join(' ', ChannelProtocol.Names)}]");
            return null;
        }

        return (protocol, request);
    }

    private static async Task<KubeletStatus> ExitStatus(Task<int> exited, IReadOnlyList<string> command)
    {
        try
        {
            int code = await exited;
            return code == 0 ? KubeletStatus.Success() : KubeletStatus.NonZeroExit(command, code);
        }
        catch (ExecStartException e)
        {
            return KubeletStatus.ExecFailed(e.Message);
        }
    }

    // The container's log lines to the channels the client asked for, until the container stops.
    private static async Task SendAsync(ChannelSession session, IAsyncEnumerable<LogLine> lines, bool tty, StreamRequest request, CancellationToken ct)
    {
        await foreach (var line in lines.WithCancellation(ct))
        {
            bool stdout = tty || line.Stream == LogStream.Stdout;
            if (stdout ? request.Stdout : request.Stderr)
            {
                await session.SendAsync(stdout ? ChannelProtocol.Stdout : ChannelProtocol.Stderr, CriLogReader.Format(line, timestamps: false), ct);
            }
        }
    }
}
