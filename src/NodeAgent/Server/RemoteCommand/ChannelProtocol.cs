namespace KvCluster.NodeAgent.Server.RemoteCommand;

/// <summary>
/// Kubernetes' WebSocket channel protocols for exec and attach. Every binary message starts with its
/// channel: 0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize (v3 and later), 255 close a channel (v5).
/// The error channel carries a metav1.Status as JSON from v4 on; before, the failure's message as text.
/// </summary>
internal sealed record ChannelProtocol(string? Name, int Version)
{
    public const byte Stdin = 0;
    public const byte Stdout = 1;
    public const byte Stderr = 2;
    public const byte Error = 3;
    public const byte Resize = 4;
    public const byte Close = 255;

    // Most preferred first.
    private static readonly ChannelProtocol[] Supported =
    [
        new("v5.channel.k8s.io", 5),
        new("v4.channel.k8s.io", 4),
        new("v3.channel.k8s.io", 3),
        new("v2.channel.k8s.io", 2),
        new("channel.k8s.io", 1),
    ];

    public static IEnumerable<string> Names => Supported.Select(p => p.Name!);

    public bool StatusAsJson => Version >= 4;

    public bool HasResize => Version >= 3;

    public bool HasClose => Version >= 5;

    /// <summary>The best protocol the client offers; a client that offers none gets channel.k8s.io (with no subprotocol header); null when none fits.</summary>
    public static ChannelProtocol? Negotiate(IList<string> offered)
    {
        if (offered.Count == 0)
        {
            return new ChannelProtocol(null, 1);
        }

        return Supported.FirstOrDefault(p => offered.Any(o => string.Equals(o.Trim(), p.Name, StringComparison.Ordinal)));
    }
}

/// <summary>The streams a request asks for (the kubelet's input, output, error and tty query parameters).</summary>
internal readonly record struct StreamRequest(bool Stdin, bool Stdout, bool Stderr, bool Tty)
{
    public bool Any => Stdin || Stdout || Stderr;

    public static StreamRequest Parse(IQueryCollection q)
    {
        bool tty = Flag(q, "tty");

        // As the kubelet: with a TTY, stderr is the terminal too.
        return new StreamRequest(Flag(q, "input"), Flag(q, "output"), Flag(q, "error") && !tty, tty);
    }

    private static bool Flag(IQueryCollection q, string name) => q[name].ToString() is "1" or "true" or "True";
}
