using System.Net.Sockets;

namespace KvCluster.NodeAgent.Runtime;

/// <summary>
/// Sockets in a pod's network namespace, for probes: a socket belongs to the namespace it was created
/// in, so a dedicated thread enters the pod's namespace, creates it, and goes back; the caller then
/// connects it like any other socket.
/// </summary>
internal static class NetworkNamespace
{
    public static Socket CreateSocket(string? nsPath)
    {
        if (nsPath is null)
        {
            return new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        }

        Socket? socket = null;
        Exception? error = null;
        var thread = new Thread(() =>
        {
            try
            {
                using var self = File.OpenHandle("/proc/thread-self/ns/net");
                using var target = File.OpenHandle(nsPath);
                Enter(target);
                try
                {
                    socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                }
                finally
                {
                    Enter(self);
                }
            }
            catch (Exception e)
            {
                error = e;
            }
        });
        thread.Start();
        thread.Join();
        return socket ?? throw new IOException($"cannot create a socket in {nsPath}: {error?.Message}", error);
    }

    private static void Enter(Microsoft.Win32.SafeHandles.SafeFileHandle ns)
    {
        if (Native.setns((int)ns.DangerousGetHandle(), Native.CloneNewNet) != 0)
        {
            throw new IOException($"setns: {System.Runtime.InteropServices.Marshal.GetLastPInvokeErrorMessage()}");
        }
    }
}
