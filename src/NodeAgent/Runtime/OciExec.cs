using System.Diagnostics;
using System.Text.Json;
using KvCluster.NodeAgent.Server;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>Optional settings of an exec'd process (runc exec --cwd, --env, --user).</summary>
public sealed record ExecOptions
{
    public string? Cwd { get; init; }

    /// <summary>
    /// "KEY=value" entries. Give the whole environment (PATH included): crun gives the process only these,
    /// runc adds them to the container's.
    /// </summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>"uid[:gid]".</summary>
    public string? User { get; init; }

    /// <summary>With a TTY, the terminal's size when the command starts (a shell reads it once, at start).</summary>
    public TerminalSize? TerminalSize { get; init; }
}

/// <summary>
/// Starts a process in a running OCI container through the runtime's CLI:
/// <c>file globalArgs… --log F --log-format json exec [--tty] [--cwd D] [--env K=V]… [--user U] id command…</c>.
/// <paramref name="file"/> and the global arguments are the caller's, so a wrapper works (crun in a mount namespace:
/// file "unshare", globalArgs ["-m", "sh", "-c", "… exec crun \"$@\"", "crun", "--root", R]); the arguments added
/// here follow them, reaching the runtime through "$@". With a TTY the runtime runs attached (so its exit code is
/// the process's) with a host pty as its stdio; it relays that to the container's pty. (runc honours
/// --console-socket only with --detach, which loses the exit code.)
/// </summary>
public static class OciExec
{
    public static async Task<IExecSession> StartAsync(
        string file, IReadOnlyList<string> globalArgs, string containerId, IReadOnlyList<string> command, bool tty,
        ExecOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ExecOptions();
        var runtimeLog = Path.Combine(Path.GetTempPath(), $"ociexec-{Guid.NewGuid():N}.json");
        var args = Arguments(globalArgs, runtimeLog, tty, containerId, command, options);
        var pty = tty ? HostPty.Open() : default;
        try
        {
            if (tty && options.TerminalSize is { } size)
            {
                // runc sizes the container's pty from its own terminal before it starts the command.
                Native.Check(HostPty.SetSize((int)pty.Master.DangerousGetHandle(), size.Columns, size.Rows), "TIOCSWINSZ");
            }

            // With a TTY the runtime's own stdio is a terminal (the slave of our pty): runc exec --tty (not detached)
            // copies between it and the container's pty, and takes the terminal size from it on SIGWINCH.
            var psi = tty ? HostPty.StartInfoOnTerminal(file, args, pty.SlavePath) : new ProcessStartInfo(file, args) { UseShellExecute = false };
            psi.RedirectStandardInput = psi.RedirectStandardOutput = psi.RedirectStandardError = true;

            var process = OrphanReaper.StartChild(psi);
            return new Session(process, runtimeLog, pty.Master);
        }
        catch
        {
            pty.Master?.Dispose();
            File.Delete(runtimeLog);
            throw;
        }
    }

    internal static List<string> Arguments(
        IReadOnlyList<string> globalArgs, string runtimeLog, bool tty, string containerId, IReadOnlyList<string> command, ExecOptions options)
    {
        var args = new List<string>(globalArgs) { "--log", runtimeLog, "--log-format", "json", "exec" };
        if (tty)
        {
            args.Add("--tty");
        }

        if (options.Cwd is not null)
        {
            args.AddRange(["--cwd", options.Cwd]);
        }

        foreach (var e in options.Env)
        {
            args.AddRange(["--env", e]);
        }

        if (options.User is not null)
        {
            args.AddRange(["--user", options.User]);
        }

        args.Add(containerId);
        args.AddRange(command);
        return args;
    }

    /// <summary>
    /// runc and crun exit with 255 and log an error when they cannot start the command; a command's own
    /// exit code 255 leaves no such entry.
    /// </summary>
    internal static string? StartError(int exitCode, string runtimeLog) => exitCode == 255 ? RuntimeLogError(runtimeLog) : null;

    /// <summary>The last error (or fatal) message in a runtime's JSON log (<c>--log F --log-format json</c>); null when none.</summary>
    internal static string? RuntimeLogError(string runtimeLog)
    {
        if (!File.Exists(runtimeLog))
        {
            return null;
        }

        string? error = null;
        foreach (var line in File.ReadLines(runtimeLog))
        {
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("level", out var level) && level.GetString() is "error" or "fatal" &&
                    doc.RootElement.TryGetProperty("msg", out var msg))
                {
                    error = msg.GetString();
                }
            }
            catch (JsonException)
            {
                // Not one of the runtime's JSON lines.
            }
        }

        return error;
    }

    private sealed class Session : IExecSession
    {
        private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(2);
        private readonly Process _process;
        private readonly string _runtimeLog;
        private readonly PtyMaster? _pty;

        public Session(Process process, string runtimeLog, Microsoft.Win32.SafeHandles.SafeFileHandle? master)
        {
            _process = process;
            _runtimeLog = runtimeLog;
            if (master is null)
            {
                Stdin = process.StandardInput.BaseStream;
                Stdout = process.StandardOutput.BaseStream;
                Stderr = process.StandardError.BaseStream;
            }
            else
            {
                // The pipes are unused (the shell moved the runtime's stdio to the pty).
                process.StandardInput.Close();
                _pty = new PtyMaster(master);
                Stdin = _pty.Input;
                Stdout = _pty.Output;
            }

            Exited = WaitAsync();
        }

        public Stream Stdin { get; }

        public Stream Stdout { get; }

        public Stream? Stderr { get; }

        public Task<int> Exited { get; }

        public void Resize(ushort columns, ushort rows)
        {
            if (_pty is not null && !_process.HasExited)
            {
                _pty.Resize(columns, rows);
                _ = ExecNative.Kill(_process.Id, ExecNative.SigWinch);
            }
        }

        public async ValueTask DisposeAsync()
        {
            if (!_process.HasExited)
            {
                // runc forwards SIGTERM to the process; killing runc itself would leave the process running.
                _ = ExecNative.Kill(_process.Id, ExecNative.SigTerm);
                using var grace = new CancellationTokenSource(StopGrace);
                try
                {
                    await _process.WaitForExitAsync(grace.Token);
                }
                catch (OperationCanceledException)
                {
                    _process.Kill(entireProcessTree: true);
                }
            }

            _pty?.Dispose();
            _process.Dispose();
            File.Delete(_runtimeLog);
        }

        private async Task<int> WaitAsync()
        {
            await _process.WaitForExitAsync();
            int code = _process.ExitCode;
            var error = StartError(code, _runtimeLog);
            return error is null ? code : throw new ExecStartException(error);
        }
    }
}
