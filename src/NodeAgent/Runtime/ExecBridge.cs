using KvCluster.NodeAgent.Server;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>Where the OCI runtime's exec (Runtime/OciExec.cs) is called from the containers.</summary>
internal static class ExecBridge
{
    public static Task<IExecSession> StartAsync(OciCommand command, string containerId, IReadOnlyList<string> argv, bool tty, CancellationToken ct) =>
        throw new NotSupportedException("exec is being wired to OciExec");
}
