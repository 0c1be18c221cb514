using System.Net.Sockets;
using System.Text;
using KvCluster.NodeAgent.Server;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// A runtime that only simulates containers, for control-plane scale tests with many nodes on one
/// machine (Kubernetes' "hollow" kubelet): no processes, no namespaces. A container "runs" until it is
/// signalled (then exits 0 on SIGTERM, 137 on SIGKILL); it writes one log line. Exec is refused.
/// The pod workers, status, probes' bookkeeping and events are the real ones.
/// </summary>
public sealed class HollowRuntime : IContainerRuntime
{
    public string Name => "hollow";

    public string Version => "hollow://1.0.0";

    public Task<IPodSandbox> RunPodSandboxAsync(SandboxConfig config, CancellationToken ct) =>
        Task.FromResult<IPodSandbox>(new HollowSandbox());

    private sealed class HollowSandbox : IPodSandbox
    {
        public string Id { get; } = OciRuntime.NewId();

        public Task<IContainer> StartContainerAsync(ContainerConfig config, CancellationToken ct) =>
            Task.FromResult<IContainer>(new HollowContainer(config));

        public Socket CreateSocket() => throw new IOException("the hollow runtime has no network namespaces to probe");

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    private sealed class HollowContainer : IContainer
    {
        private readonly TaskCompletionSource<ContainerExit> _exit = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Task _logs;

        public HollowContainer(ContainerConfig config)
        {
            var stdout = new MemoryStream(Encoding.UTF8.GetBytes($"hollow container {config.Name}: {string.Join(' ', config.Args)}\n"));
            _logs = config.Logs(stdout, Stream.Null);
        }

        public string ContainerId { get; } = "hollow://" + OciRuntime.NewId();

        public DateTimeOffset StartedAt { get; } = DateTimeOffset.UtcNow;

        public Task<ContainerExit> Exited => _exit.Task;

        public Stream? Stdin => null;

        public Action<ushort, ushort>? Resize => null;

        public async Task SignalAsync(int signal, CancellationToken ct)
        {
            await _logs;
            _exit.TrySetResult(new ContainerExit(signal == 9 ? 137 : 0, DateTimeOffset.UtcNow, false));
        }

        public Task<IExecSession> ExecAsync(IReadOnlyList<string> command, bool tty, TerminalSize? size, CancellationToken ct) =>
            throw new ContainerLookupException("exec is not supported by the hollow runtime (its containers are simulated)");

        public async ValueTask DisposeAsync() => await SignalAsync(9, CancellationToken.None);
    }
}
