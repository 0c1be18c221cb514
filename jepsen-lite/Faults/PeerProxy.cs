using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace KvCluster.JepsenLite.Faults;

/// <summary>
/// A TCP proxy in front of one cluster member's peer port: every other member reaches it through
/// here. A link can be cut silently: the proxy stops moving bytes (in both directions) on every
/// connection to or from the cut members, and moves them again when healed, so streams stay intact
/// and the members see only silence, as with dropped packets. Which member opened a connection is
/// found from /proc (the process owning the connecting socket).
/// </summary>
public sealed class PeerProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly Func<int, int> _memberOfPid;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _pumps = [];
    private readonly Task _accepting;
    private volatile Func<int, bool> _cut = _ => false;
    private long _delayTicks;
    private int _dropPercent;
    private TaskCompletionSource _healed = NewGate();

    /// <param name="member">The member behind this proxy.</param>
    /// <param name="memberOfPid">Maps a process id to a member index, or -1.</param>
    public PeerProxy(int member, int listenPort, int targetPort, Func<int, int> memberOfPid)
    {
        Member = member;
        _targetPort = targetPort;
        _memberOfPid = memberOfPid;
        _listener = new TcpListener(IPAddress.Loopback, listenPort);
        _listener.Start();
        _accepting = Task.Run(AcceptLoopAsync);
    }

    public int Member { get; }

    /// <summary>The member behind each accepted connection (-1: not a member), for diagnostics.</summary>
    public List<int> Sources { get; } = [];

    /// <summary>Traffic between <paramref name="isCut"/>(source) and this member stops until <see cref="Heal"/>.</summary>
    public void Cut(Func<int, bool> isCut)
    {
        _cut = isCut;
    }

    /// <summary>Every chunk moved through this proxy waits <paramref name="delay"/> (±50 %) first; zero for none. Order is kept.</summary>
    public void Delay(TimeSpan delay) => Interlocked.Exchange(ref _delayTicks, delay.Ticks);

    /// <summary>
    /// Packet loss as TCP sees it: each chunk is, with probability <paramref name="percent"/> %, held
    /// for a retransmission timeout (200–1000 ms) before it moves on; bytes are never lost or reordered.
    /// </summary>
    public void Drop(int percent) => Interlocked.Exchange(ref _dropPercent, Math.Clamp(percent, 0, 100));

    public void Heal()
    {
        _cut = _ => false;
        Interlocked.Exchange(ref _healed, NewGate()).TrySetResult();
    }

    private static TaskCompletionSource NewGate() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task AcceptLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            int source = SourceMember(client);
            lock (Sources)
            {
                Sources.Add(source);
            }

            lock (_pumps)
            {
                _pumps.Add(Task.Run(() => ServeAsync(client, source)));
            }
        }
    }

    private async Task ServeAsync(TcpClient client, int source)
    {
        using var c = client;
        using var upstream = new TcpClient();
        try
        {
            await upstream.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            var a = PumpAsync(c.GetStream(), upstream.GetStream(), source);
            var b = PumpAsync(upstream.GetStream(), c.GetStream(), source);
            await Task.WhenAny(a, b);
        }
        catch (Exception e) when (e is OperationCanceledException or SocketException or IOException or ObjectDisposedException)
        {
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, int source)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                await WhileCutAsync(source);
                int n = await from.ReadAsync(buffer, _stop.Token);
                if (n == 0)
                {
                    return;
                }

                // Bytes read while a cut began are held until it heals: nothing is lost or reordered.
                await WhileCutAsync(source);
                if (Interlocked.Read(ref _delayTicks) is var delay and > 0)
                {
                    await Task.Delay(TimeSpan.FromTicks(delay / 2 + Random.Shared.NextInt64(delay)), _stop.Token);
                }

                if (Volatile.Read(ref _dropPercent) is var drop and > 0 && Random.Shared.Next(100) < drop)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(200, 1000)), _stop.Token);
                }

                await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
            }
        }
        catch (Exception e) when (e is OperationCanceledException or IOException or ObjectDisposedException or SocketException)
        {
            to.Socket.Close();
            from.Socket.Close();
        }
    }

    private async Task WhileCutAsync(int source)
    {
        while (_cut(source) || _cut(Member))
        {
            await Volatile.Read(ref _healed).Task.WaitAsync(TimeSpan.FromMilliseconds(200), _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            _stop.Token.ThrowIfCancellationRequested();
        }
    }

    /// <summary>The member whose process opened this connection (from /proc/net/tcp and /proc/PID/fd), or -1.</summary>
    private int SourceMember(TcpClient client)
    {
        try
        {
            int srcPort = ((IPEndPoint)client.Client.RemoteEndPoint!).Port;
            int dstPort = ((IPEndPoint)client.Client.LocalEndPoint!).Port;
            string? inode = null;
            // .NET sockets are dual-mode: their connections show in tcp6 (as ::ffff:127.0.0.1).
            foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1).Concat(File.ReadLines("/proc/net/tcp6").Skip(1)))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (PortOf(f[1]) == srcPort && PortOf(f[2]) == dstPort)
                {
                    inode = f[9];
                    break;
                }
            }

            if (inode is null)
            {
                return -1;
            }

            string target = $"socket:[{inode}]";
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(dir), out int pid) || _memberOfPid(pid) is var m && m < 0)
                {
                    continue;
                }

                try
                {
                    foreach (var fd in Directory.EnumerateFileSystemEntries(Path.Combine(dir, "fd")))
                    {
                        if (new FileInfo(fd).LinkTarget == target)
                        {
                            return m;
                        }
                    }
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException)
                {
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException)
        {
        }

        return -1;
    }

    private static int PortOf(string hexAddress) => int.Parse(hexAddress[(hexAddress.IndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Heal();
        Task[] pumps;
        lock (_pumps)
        {
            pumps = [.. _pumps, _accepting];
        }

        await Task.WhenAll(pumps).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { }, TaskScheduler.Default);
        _stop.Dispose();
    }
}
