using System.Diagnostics;
using System.Text.Json;
using KvCluster.NodeAgent.Server;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>Optional settings of an exec'd process (runc exec --cwd, --env, --user).</summary>
public sealed record ExecOptions
{
    public string? Cwd { get; init; }

    /// <summary>"KEY=value" entries, added to the container process's environment.</summary>
    public IReadOnlyList<string> Env { get; init; } = [];

    /// <summary>"uid[:gid]".</summary>
    public string? User { get; init; }
}

/// <summary>
/// Starts a process in a running OCI container through the runtime's CLI:
/// <c>file globalArgs… --log F --log-format json exec [--tty --console-socket S] [--cwd D] [--env K=V]… [--user U] id command…</c>.
/// <paramref name="file"/> and the global arguments are the caller's, so a wrapper works (crun in a mount namespace:
/// file "unshare", globalArgs ["-m", "sh", "-c", "… exec crun \"$@\"", "crun", "--root", R]); the arguments added
/// here follow them, reaching the runtime through "$@".
/// </summary>
public static class OciExec
{
    public static async Task<IExecSession> StartAsync(
        string file, IReadOnlyList<string> globalArgs, string containerId, IReadOnlyList<string> command, bool tty,
        ExecOptions? options = null, CancellationToken ct = default)
    {
        options ??= new ExecOptions();
        var runtimeLog = Path.Combine(Path.GetTempPath(), $"ociexec-{Guid.NewGuid():N}.json");
        var console = tty ? ExecConsoleSocket.Create() : null;
        try
        {
            var psi = new ProcessStartInfo(file)
            {
                UseShellExecute = false,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            foreach (var a in Arguments(globalArgs, runtimeLog, console?.Path, containerId, command, options))
            {
                psi.ArgumentList.Add(a);
            }

            var process = Process.Start(psi) ?? throw new ExecStartException($"cannot start {file}");
            var session = new Session(process, runtimeLog);
            if (console is not null)
            {
                await session.UseConsoleAsync(console, ct);
            }

            return session;
        }
        catch
        {
            File.Delete(runtimeLog);
            throw;
        }
        finally
        {
            console?.Dispose();
        }
    }

    internal static List<string> Arguments(
        IReadOnlyList<string> globalArgs, string runtimeLog, string? consoleSocket, string containerId, IReadOnlyList<string> command, ExecOptions options)
    {
        var args = new List<string>(globalArgs) { "--log", runtimeLog, "--log-format", "json", "exec" };
        if (consoleSocket is not null)
        {
            args.AddRange(["--tty", "--console-socket", consoleSocket]);
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
    internal static string? StartError(int exitCode, string runtimeLog)
    {
        if (exitCode != 255 || !File.Exists(runtimeLog))
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
        private Microsoft.Win32.SafeHandles.SafeFileHandle? _master;
        private ExecPty? _pty;
        private Task<string>? _runtimeOutput;

        public Session(Process process, string runtimeLog)
        {
            _process = process;
            _runtimeLog = runtimeLog;
            Stdin = process.StandardInput.BaseStream;
            Stdout = process.StandardOutput.BaseStream;
            Stderr = process.StandardError.BaseStream;
            Exited = WaitAsync();
        }

        public Stream Stdin { get; private set; }

        public Stream Stdout { get; private set; }

        public Stream? Stderr { get; private set; }

        public Task<int> Exited { get; }

        // With a TTY the process's stdio is the pty; the runtime's own pipes only carry its messages.
        public async Task UseConsoleAsync(ExecConsoleSocket console, CancellationToken ct)
        {
            _process.StandardInput.Close();
            var stdout = _process.StandardOutput.ReadToEndAsync(CancellationToken.None);
            var stderr = _process.StandardError.ReadToEndAsync(CancellationToken.None);
            _runtimeOutput = Task.WhenAll(stdout, stderr).ContinueWith(t => string.Concat(t.Result), TaskScheduler.Default);
            _master = await console.ReceiveAsync(_process.WaitForExitAsync(CancellationToken.None), ct);
            _pty = _master is null ? null : new ExecPty(_master);
            Stdin = _pty ?? Stream.Null;
            Stdout = _pty ?? Stream.Null;
            Stderr = null;
        }

        public void Resize(ushort columns, ushort rows) => _pty?.Resize(columns, rows);

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
            _master?.Dispose();
            _process.Dispose();
            File.Delete(_runtimeLog);
        }

        private async Task<int> WaitAsync()
        {
            await _process.WaitForExitAsync();
            int code = _process.ExitCode;
            var error = StartError(code, _runtimeLog);
            if (error is null && code == 255 && _runtimeOutput is not null && _master is null)
            {
                error = (await _runtimeOutput).Trim();
            }

            return error is null ? code : throw new ExecStartException(error);
        }
    }
}
