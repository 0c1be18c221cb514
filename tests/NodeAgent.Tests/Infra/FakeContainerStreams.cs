using System.ComponentModel;
using System.Diagnostics;
using KvCluster.NodeAgent.Server;

namespace KvCluster.NodeAgent.Tests.Infra;

/// <summary>
/// Containers for the server tests: logs are files the test writes; exec runs the command on this host
/// (a real process with real pipes); "ns/pod/c" names the only container.
/// </summary>
public sealed class FakeContainerStreams : IContainerStreams
{
    public ContainerLog? Log { get; set; }

    public ContainerAttach? AttachTo { get; set; }

    public List<IReadOnlyList<string>> Execs { get; } = [];

    /// <summary>The terminal size each exec started with (null: none given).</summary>
    public List<TerminalSize?> ExecSizes { get; } = [];

    public ContainerLog FindLog(string ns, string pod, string container, bool previous) =>
        !Lookup(ns, pod, container) ? throw new ContainerLookupException($"container \"{container}\" not found in pod \"{pod}\"", notFound: true)
        : !previous && Log is not null ? Log
        : throw new ContainerLookupException(previous
            ? $"previous terminated container \"{container}\" in pod \"{pod}\" not found"
            : $"container \"{container}\" in pod \"{pod}\" is not available");

    public ExecStart FindExec(string ns, string pod, string container)
    {
        if (!Lookup(ns, pod, container))
        {
            throw new ContainerLookupException($"container \"{container}\" not found in pod \"{pod}\"", notFound: true);
        }

        return (command, tty, size, ct) =>
        {
            lock (Execs)
            {
                Execs.Add(command);
                ExecSizes.Add(size);
            }

            return Task.FromResult<IExecSession>(new LocalExecSession(command));
        };
    }

    public ContainerAttach Attach(string ns, string pod, string container) =>
        Lookup(ns, pod, container) && AttachTo is not null ? AttachTo : throw new ContainerLookupException($"container {container} is not valid for pod {pod}");

    /// <summary>"ns/pod" is on this host's network: port-forward connects to this host's loopback.</summary>
    public Func<System.Net.Sockets.Socket> FindPodNetwork(string ns, string pod) =>
        (ns, pod) == ("ns", "pod")
            ? () => new System.Net.Sockets.Socket(System.Net.Sockets.AddressFamily.InterNetwork, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp)
            : throw new ContainerLookupException($"pod \"{pod}\" does not exist", notFound: true);

    private static bool Lookup(string ns, string pod, string container) => (ns, pod, container) == ("ns", "pod", "c");

    /// <summary>The command as a host process; one that cannot start faults Exited as a runtime would.</summary>
    private sealed class LocalExecSession : IExecSession
    {
        private readonly Process? _process;

        public LocalExecSession(IReadOnlyList<string> command)
        {
            var psi = new ProcessStartInfo(command[0])
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            foreach (var a in command.Skip(1))
            {
                psi.ArgumentList.Add(a);
            }

            try
            {
                _process = Process.Start(psi)!;
                Stdin = _process.StandardInput.BaseStream;
                Stdout = _process.StandardOutput.BaseStream;
                Stderr = _process.StandardError.BaseStream;
                Exited = WaitAsync(_process);
            }
            catch (Win32Exception e)
            {
                Stdin = Stream.Null;
                Stdout = Stream.Null;
                Stderr = Stream.Null;
                Exited = Task.FromException<int>(new ExecStartException($"exec: \"{command[0]}\": {e.Message}"));
            }
        }

        public Stream Stdin { get; }

        public Stream Stdout { get; }

        public Stream? Stderr { get; }

        public Task<int> Exited { get; }

        public void Resize(ushort columns, ushort rows)
        {
        }

        public ValueTask DisposeAsync()
        {
            if (_process is not null)
            {
                KvServer.Tests.Infra.Processes.Kill(_process);
                _process.Dispose();
            }

            return ValueTask.CompletedTask;
        }

        private static async Task<int> WaitAsync(Process p)
        {
            await p.WaitForExitAsync();
            return p.ExitCode;
        }
    }
}
