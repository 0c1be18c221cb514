using System.Diagnostics;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// How to invoke an OCI runtime's CLI: runc as is; crun inside a private mount namespace in which
/// /sys/fs/cgroup/unified is hidden, because on a hybrid cgroup host crun refuses to run otherwise.
/// </summary>
public sealed record OciCommand(string Name, string File, IReadOnlyList<string> GlobalArgs)
{
    public static OciCommand For(string runtime, string stateRoot) => Installed(runtime) switch
    {
        // An absolute path: Process.Start would search PATH on every container start.
        "runc" => new("runc", Which("runc"), ["--root", stateRoot]),
        "crun" => HybridCgroups()
            ? new("crun", Which("unshare"), ["-m", "--propagation", "private", "sh", "-c",
                "mount -t tmpfs none /sys/fs/cgroup/unified 2>/dev/null; exec crun \"$@\"", "crun", "--root", stateRoot])
            : new("crun", Which("crun"), ["--root", stateRoot]),
        _ => throw new ArgumentException($"not an OCI runtime: {runtime}"),
    };

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(System.IO.File.Exists);

    private static string Which(string name) => Find(name) ?? name;

    /// <summary>The runtime's name when its binary is on PATH; else the error a user can act on (not a crash at the first container).</summary>
    private static string Installed(string runtime) =>
        runtime is not ("runc" or "crun") || Find(runtime) is not null
            ? runtime
            : throw new ArgumentException($"--container-runtime {runtime}: {runtime} is not installed (not found on PATH); install it with `apt-get install -y {runtime}`");

    private static bool HybridCgroups() => Directory.Exists("/sys/fs/cgroup/unified") && System.IO.File.Exists("/sys/fs/cgroup/unified/cgroup.controllers");

    public ProcessStartInfo StartInfo(IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(File) { UseShellExecute = false };
        foreach (var a in GlobalArgs.Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        return psi;
    }

    /// <summary>Runs a short runtime command (state, kill, delete) and returns its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(IEnumerable<string> args, CancellationToken ct)
    {
        var psi = StartInfo(args);
        psi.RedirectStandardOutput = psi.RedirectStandardError = psi.RedirectStandardInput = true;
        using var p = OrphanReaper.StartChild(psi);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync(ct);
        var stderr = p.StandardError.ReadToEndAsync(ct);
        int code = await OrphanReaper.WaitForExitAsync(p, ct);
        return (code, (await stdout) + (await stderr));
    }

    public async Task<string> VersionAsync()
    {
        var (_, output) = await RunAsync(["--version"], CancellationToken.None);
        var first = output.Split('\n').FirstOrDefault() ?? "";
        return first.Split(' ', StringSplitOptions.RemoveEmptyEntries) is { Length: >= 3 } parts ? parts[2].Split('+')[0] : "unknown";
    }
}
