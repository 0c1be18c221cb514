using System.Buffers;
using System.Net;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using KvCluster.ApiServer.Kubelet;
using KvCluster.ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace KvCluster.ApiServer.Http;

/// <summary>
/// pods/log, pods/exec, pods/attach and pods/portforward: the request names a container (not for
/// portforward), the pod's node names the kubelet, and the kubelet's answer goes back to the client — a log
/// as a text stream flushed as it comes, exec, attach and portforward as a WebSocket relayed frame by frame
/// (a bare SPDY upgrade is not served; portforward's SPDY travels inside the WebSocket).
/// </summary>
internal sealed class PodSubresources(ApiRegistry registry, KubeletClient kubelet)
{
    /// <summary>The remote-command protocols relayed, best first (the frames are passed through, whatever their version).</summary>
    public static readonly IReadOnlyList<string> StreamProtocols = ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"];

    /// <summary>pods/portforward's protocol: SPDY/3.1 tunnelled in WebSocket binary messages (kubectl 1.30 and later).</summary>
    public const string PortForwardProtocol = "SPDY/3.1+portforward.k8s.io";

    public static bool Serves(string? subresource) => subresource is "log" or "exec" or "attach" or "portforward";

    public Task HandleAsync(HttpContext ctx, ResourceStore pods, string ns, string name, string subresource) => (subresource, ctx.Request.Method) switch
    {
        ("log", "GET") => LogAsync(ctx, pods, ns, name),
        ("exec" or "attach", "GET" or "POST") => StreamAsync(ctx, pods, ns, name, subresource),
        ("portforward", "GET" or "POST") => PortForwardAsync(ctx, pods, ns, name),
        _ => throw NotAllowed(ctx, subresource),
    };

    private static ApiException NotAllowed(HttpContext ctx, string subresource)
    {
        ctx.Response.Headers.Allow = subresource == "log" ? "GET" : "GET, POST";
        return ApiException.MethodNotAllowed("the server does not allow this method on the requested resource");
    }

    private Task<PodTarget> ResolveAsync(ResourceStore pods, string ns, string name, string? container, CancellationToken ct) =>
        PodTarget.ResolveAsync(pods, registry.Find("", "v1", "nodes")!, ns, name, container, ct);

    private async Task LogAsync(HttpContext ctx, ResourceStore pods, string ns, string name)
    {
        var ct = ctx.RequestAborted;
        var options = PodLogOptions.Parse(ctx.Request.Query);
        if (options.Validate() is { Count: > 0 } errors)
        {
            throw ApiException.Invalid("", "PodLogOptions", name, errors);
        }

        var target = await ResolveAsync(pods, ns, name, options.Container, ct);
        ctx.Response.ContentType = "text/plain";
        if (target.Kubelet is null)
        {
            // Not on a node yet: no log, as kube-apiserver answers.
            ctx.Response.StatusCode = 200;
            return;
        }

        var uri = target.KubeletUri("containerLogs", options.KubeletQuery());
        using var response = await SendAsync(uri, () => kubelet.GetAsync(uri, ct));
        if ((int)response.StatusCode is < 200 or > 206)
        {
            throw await KubeletErrors.FromResponseAsync(response, "pods/log", name, ct);
        }

        ctx.Response.StatusCode = 200;
        await ctx.Response.StartAsync(ct);
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = ArrayPool<byte>.Shared.Rent(32 * 1024);
        try
        {
            int n;
            while ((n = await body.ReadAsync(buffer, ct)) > 0)
            {
                await ctx.Response.Body.WriteAsync(buffer.AsMemory(0, n), ct);
                await ctx.Response.Body.FlushAsync(ct);
            }
        }
        catch (Exception e) when (e is IOException or HttpRequestException && !ct.IsCancellationRequested)
        {
            // The kubelet's stream broke: the client must not take a cut log for a whole one.
            ctx.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private async Task StreamAsync(HttpContext ctx, ResourceStore pods, string ns, string name, string verb)
    {
        var ct = ctx.RequestAborted;
        var q = ctx.Request.Query;
        var target = await ResolveAsync(pods, ns, name, q["container"].ToString(), ct);
        if (target.Kubelet is null)
        {
            throw ApiException.BadRequest($"pod {name} does not have a host assigned");
        }

        var uri = target.KubeletUri(verb, KubeletStreamQuery(q, verb == "exec"));
        if (!ctx.WebSockets.IsWebSocketRequest && !target.Running)
        {
            await RefuseAsTheKubeletWouldAsync(ctx, target.Container, ct);
            return;
        }

        await RelayAsync(ctx, uri, target.Kubelet, Offered(ctx), verb, name);
    }

    /// <summary>
    /// pods/portforward: the pod's kubelet serves /portForward/{namespace}/{pod} (the ports are in the query, as
    /// kubectl sends them); only the WebSocket tunnel is relayed.
    /// </summary>
    private async Task PortForwardAsync(HttpContext ctx, ResourceStore pods, string ns, string name)
    {
        var pod = await pods.GetAsync(ns, name, ctx.RequestAborted);
        var nodeName = PodTarget.NodeNameOf(pod) ?? throw ApiException.BadRequest($"pod {name} does not have a host assigned");
        if (!ctx.WebSockets.IsWebSocketRequest || !ctx.WebSockets.WebSocketRequestedProtocols.Contains(PortForwardProtocol))
        {
            throw ApiException.BadRequest($"Upgrade request required: pods/portforward is streamed over WebSocket ({PortForwardProtocol}), as kubectl 1.31 and later use by default");
        }

        var kubelet = await PodTarget.KubeletOfAsync(nodeName, registry.Find("", "v1", "nodes")!, ctx.RequestAborted);
        var uri = new Uri(kubelet, $"portForward/{Uri.EscapeDataString(ns)}/{Uri.EscapeDataString(name)}{ctx.Request.QueryString.Value}");
        await RelayAsync(ctx, uri, kubelet, [PortForwardProtocol], "portforward", name);
    }

    /// <summary>Upgrades to the kubelet with the protocols <paramref name="offered"/>, then relays the two WebSockets.</summary>
    private async Task RelayAsync(HttpContext ctx, Uri uri, Uri kubeletBase, List<string> offered, string verb, string name)
    {
        var ct = ctx.RequestAborted;
        var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        using var response = await SendAsync(uri, () => kubelet.UpgradeAsync(uri, key, offered, ct));
        if (response.StatusCode != HttpStatusCode.SwitchingProtocols)
        {
            throw await KubeletErrors.FromResponseAsync(response, "pods/" + verb, name, ct);
        }

        var protocol = response.Headers.TryGetValues("Sec-WebSocket-Protocol", out var p) ? p.FirstOrDefault() : null;
        var accept = response.Headers.TryGetValues("Sec-WebSocket-Accept", out var a) ? a.FirstOrDefault() : null;
        if (protocol is null || !offered.Contains(protocol) || accept != AcceptKey(key))
        {
            throw new ApiException(502, "InternalError", $"the kubelet at {kubeletBase} answered the WebSocket upgrade with protocol \"{protocol}\", not one of [{string.Join(' ', offered)}]");
        }

        // .NET refuses subprotocols with a '/' (RFC 6455's token has none), which portforward's is: that handshake is
        // made here, and the protocol is only named in the headers (a WebSocket does not need to know its own).
        bool token = !protocol.Contains('/', StringComparison.Ordinal);
        var stream = await response.Content.ReadAsStreamAsync(ct);
        using var node = WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, SubProtocol = token ? protocol : null, KeepAliveInterval = TimeSpan.FromSeconds(30) });
        using var client = token
            ? await ctx.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = protocol })
            : await AcceptWithProtocolAsync(ctx, protocol);
        await WebSocketRelay.RunAsync(client, node, ct);
    }

    private static async Task<WebSocket> AcceptWithProtocolAsync(HttpContext ctx, string protocol)
    {
        var upgrade = ctx.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpUpgradeFeature>() is { IsUpgradableRequest: true } u
            ? u
            : throw ApiException.BadRequest("Upgrade request required: an HTTP/1.1 WebSocket upgrade");
        ctx.Response.Headers.Connection = "Upgrade";
        ctx.Response.Headers.Upgrade = "websocket";
        ctx.Response.Headers.SecWebSocketAccept = AcceptKey(ctx.Request.Headers.SecWebSocketKey.ToString());
        ctx.Response.Headers.SecWebSocketProtocol = protocol;
        var stream = await upgrade.UpgradeAsync();
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.FromSeconds(30) });
    }

    /// <summary>
    /// kubectl falls back to SPDY whenever its WebSocket upgrade is refused, so the kubelet's refusal of
    /// a container that is not running would be hidden behind "SPDY is not served". kube-apiserver passes
    /// the kubelet's answer through (500, "container not found (\"c\")"), which kubectl shows as
    /// "unable to upgrade connection: …"; the same answer is given here from the pod's status, without
    /// asking the kubelet (a WebSocket upgrade would run the command).
    /// </summary>
    private static async Task RefuseAsTheKubeletWouldAsync(HttpContext ctx, string container, CancellationToken ct)
    {
        ctx.Response.StatusCode = StatusCodes.Status500InternalServerError;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        await ctx.Response.WriteAsync($"container not found (\"{container}\")", ct);
    }

    /// <summary>
    /// The protocols both kubectl and this server speak, best first. A request that is not a WebSocket
    /// upgrade (SPDY, or none) is refused with a Status, after the checks every request gets, so that
    /// kubectl's SPDY fallback shows the same error as its WebSocket attempt.
    /// </summary>
    private static List<string> Offered(HttpContext ctx)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            var upgrade = ctx.Request.Headers.Upgrade.ToString();
            throw ApiException.BadRequest(upgrade.Length == 0
                ? "Upgrade request required"
                : $"Upgrade request required: {upgrade} is not served; pods/exec and pods/attach are streamed over WebSocket ({string.Join(", ", StreamProtocols.Take(2))}), as kubectl 1.31 and later use by default");
        }

        var requested = ctx.WebSockets.WebSocketRequestedProtocols;
        var offered = StreamProtocols.Where(requested.Contains).ToList();
        return offered.Count > 0
            ? offered
            : throw ApiException.BadRequest($"none of the requested WebSocket protocols [{string.Join(' ', requested)}] is served; served: [{string.Join(' ', StreamProtocols)}]");
    }

    /// <summary>The kubelet's exec/attach query: input, output, error, tty as "1" when asked, and every command word (keys sorted, as Go encodes them).</summary>
    public static string KubeletStreamQuery(IQueryCollection q, bool exec)
    {
        var parts = new List<string>();
        if (exec)
        {
            parts.AddRange(q["command"].Select(c => "command=" + Uri.EscapeDataString(c ?? "")));
        }

        foreach (var (param, kubeletParam) in new[] { ("stderr", "error"), ("stdin", "input"), ("stdout", "output"), ("tty", "tty") })
        {
            if (PodLogOptions.Bool(q, param))
            {
                parts.Add(kubeletParam + "=1");
            }
        }

        return string.Join('&', parts);
    }

    private static string AcceptKey(string key) =>
        Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));

    /// <summary>A call to a kubelet; an unreachable one is a 500 worded as Go's client words it.</summary>
    private static async Task<HttpResponseMessage> SendAsync(Uri uri, Func<Task<HttpResponseMessage>> send)
    {
        try
        {
            return await send();
        }
        catch (HttpRequestException e)
        {
            throw new ApiException(500, "InternalError", $"Get \"{uri}\": {e.Message}");
        }
    }
}
