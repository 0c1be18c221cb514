using System.Net.Sockets;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.Features;

namespace KvCluster.NodeAgent.Server.PortForward;

/// <summary>
/// <c>/portForward/{namespace}/{pod}</c>: the kubelet's port-forward endpoint, to which the apiserver relays
/// pods/portforward. Served as kubectl 1.30+ asks for it first: a WebSocket carrying SPDY/3.1
/// (<c>SPDY/3.1+portforward.k8s.io</c>); a bare SPDY upgrade is refused with a message saying so.
/// </summary>
internal static class PortForwardHandler
{
    public const string Protocol = "SPDY/3.1+portforward.k8s.io";

    public static async Task HandleAsync(HttpContext ctx, IContainerStreams streams, string ns, string pod)
    {
        Func<Socket> podSocket;
        try
        {
            podSocket = streams.FindPodNetwork(ns, pod);
        }
        catch (ContainerLookupException e)
        {
            await KubeletStatus.WriteTextAsync(ctx, e.NotFound ? StatusCodes.Status404NotFound : StatusCodes.Status500InternalServerError, e.Message);
            return;
        }

        if (!ctx.WebSockets.IsWebSocketRequest || !ctx.WebSockets.WebSocketRequestedProtocols.Contains(Protocol))
        {
            await KubeletStatus.WriteTextAsync(ctx, StatusCodes.Status400BadRequest,
                $"port-forward is served over a WebSocket with the {Protocol} protocol (kubectl 1.30 and later); SPDY upgrades are not served");
            return;
        }

        var log = ctx.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("portforward");
        using var socket = await AcceptAsync(ctx);
        using var session = new PortForwardSession(socket, podSocket, pod, log);
        await session.RunAsync(ctx.RequestAborted);
    }

    /// <summary>
    /// The WebSocket handshake, made here: .NET refuses to accept a subprotocol with a '/' (RFC 6455's token has
    /// none), and this is the one kubectl asks for. The WebSocket is then built over the upgraded stream.
    /// </summary>
    private static async Task<WebSocket> AcceptAsync(HttpContext ctx)
    {
        var upgrade = ctx.Features.Get<IHttpUpgradeFeature>() is { IsUpgradableRequest: true } u ? u : throw new InvalidOperationException("not an HTTP/1.1 upgrade");
        var key = ctx.Request.Headers.SecWebSocketKey.ToString();
        ctx.Response.Headers.Connection = "Upgrade";
        ctx.Response.Headers.Upgrade = "websocket";
        ctx.Response.Headers.SecWebSocketAccept = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")));
        ctx.Response.Headers.SecWebSocketProtocol = Protocol;
        var stream = await upgrade.UpgradeAsync();
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = true, KeepAliveInterval = TimeSpan.FromSeconds(30) });
    }
}
