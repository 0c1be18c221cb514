using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Threading.Channels;
using KvCluster.KvServer.Tests.Infra;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace KvCluster.ApiServer.Tests.Infra;

/// <summary>
/// A kubelet's HTTPS API inside the test process, as the apiserver sees one: Kestrel on 127.0.0.1 with
/// a self-signed serving certificate, refusing clients without a certificate that chains to the
/// apiserver's CA. It serves
/// <list type="bullet">
/// <item>/containerLogs/{ns}/{pod}/{container}: "{container} line 1".."line 5" (tailLines, timestamps,
/// limitBytes honoured); with follow=true the lines a test writes to <see cref="Follow"/>. Container
/// "waiting" answers 400 and "gone" 404, with the kubelet's plain-text bodies.</item>
/// <item>/exec and /attach over WebSocket, v5.channel.k8s.io or v4.channel.k8s.io (channel byte first:
/// 0 stdin, 1 stdout, 2 stderr, 3 error Status, 255 close a channel in v5). Commands: echo WORDS;
/// fail CODE (stderr, then a NonZeroExitCode Status); cat (stdin back on stdout until stdin closes);
/// request (prints the path and query it got).</item>
/// </list>
/// </summary>
public sealed class FakeKubelet : IAsyncDisposable
{
    private static readonly string[] Protocols = ["v5.channel.k8s.io", "v4.channel.k8s.io"];

    private readonly WebApplication _app;
    private readonly X509Certificate2 _ca;
    private readonly ConcurrentDictionary<string, Channel<string>> _follows = new();

    private FakeKubelet(WebApplication app, X509Certificate2 ca, int port)
    {
        _app = app;
        _ca = ca;
        Port = port;
    }

    public int Port { get; }

    /// <summary>Every request that got through TLS: path and query, and the client certificate's subject.</summary>
    public ConcurrentQueue<(string PathAndQuery, string Client, string? Protocol)> Requests { get; } = new();

    /// <summary>Completed when a follow stream's client went away before the stream ended.</summary>
    public TaskCompletionSource FollowAborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<FakeKubelet> StartAsync(string caCertPath)
    {
        var ca = X509CertificateLoader.LoadCertificateFromFile(caCertPath);
        var port = Processes.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port, l =>
        {
            l.Protocols = HttpProtocols.Http1;
            l.UseHttps(new HttpsConnectionAdapterOptions
            {
                ServerCertificate = SelfSigned(),
                ClientCertificateMode = ClientCertificateMode.RequireCertificate,
                ClientCertificateValidation = (cert, _, _) => ChainsTo(cert, ca),
            });
        }));
        var app = builder.Build();
        var kubelet = new FakeKubelet(app, ca, port);
        app.UseWebSockets();
        app.Run(kubelet.HandleAsync);
        await app.StartAsync();
        return kubelet;
    }

    /// <summary>The follow stream of a container: what the test writes comes out as log lines; completing it ends the stream.</summary>
    public ChannelWriter<string> Follow(string ns, string pod, string container) =>
        _follows.GetOrAdd($"{ns}/{pod}/{container}", _ => Channel.CreateUnbounded<string>()).Writer;

    private async Task HandleAsync(HttpContext ctx)
    {
        var client = ctx.Connection.ClientCertificate?.Subject ?? "";
        var parts = (ctx.Request.Path.Value ?? "").Trim('/').Split('/');
        Requests.Enqueue((ctx.Request.Path + ctx.Request.QueryString, client, ctx.WebSockets.WebSocketRequestedProtocols.FirstOrDefault()));
        if (parts.Length != 4)
        {
            ctx.Response.StatusCode = 404;
            await ctx.Response.WriteAsync("404 page not found\n");
            return;
        }

        var (verb, ns, pod, container) = (parts[0], parts[1], parts[2], parts[3]);
        switch (verb)
        {
            case "containerLogs":
                await LogsAsync(ctx, ns, pod, container);
                break;
            case "exec" or "attach":
                await StreamAsync(ctx, verb, container);
                break;
            default:
                ctx.Response.StatusCode = 404;
                break;
        }
    }

    private async Task LogsAsync(HttpContext ctx, string ns, string pod, string container)
    {
        if (container is "waiting" or "gone")
        {
            ctx.Response.StatusCode = container == "waiting" ? 400 : 404;
            await ctx.Response.WriteAsync(container == "waiting" ? $"container \"{container}\" in pod \"{pod}\" is waiting to start: ContainerCreating" : "no such container");
            return;
        }

        var q = ctx.Request.Query;
        ctx.Response.ContentType = "text/plain";
        if (q["follow"] == "true")
        {
            var follow = _follows.GetOrAdd($"{ns}/{pod}/{container}", _ => Channel.CreateUnbounded<string>());
            try
            {
                await ctx.Response.StartAsync(ctx.RequestAborted);
                await foreach (var line in follow.Reader.ReadAllAsync(ctx.RequestAborted))
                {
                    await ctx.Response.WriteAsync(line + "\n", ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                }
            }
            catch (OperationCanceledException)
            {
                FollowAborted.TrySetResult();
            }

            return;
        }

        var lines = Enumerable.Range(1, 5).Select(i => (q["timestamps"] == "true" ? $"2026-01-01T00:00:0{i}.000000000Z " : "") + $"{container} line {i}\n").ToList();
        if (int.TryParse(q["tailLines"], out var tail))
        {
            lines = lines.TakeLast(tail).ToList();
        }

        var text = string.Concat(lines);
        if (int.TryParse(q["limitBytes"], out var limit) && limit < text.Length)
        {
            text = text[..limit];
        }

        await ctx.Response.WriteAsync(text);
    }

    private static async Task StreamAsync(HttpContext ctx, string verb, string container)
    {
        if (!ctx.WebSockets.IsWebSocketRequest)
        {
            ctx.Response.StatusCode = 400;
            await ctx.Response.WriteAsync("Upgrade request required");
            return;
        }

        var protocol = Protocols.FirstOrDefault(ctx.WebSockets.WebSocketRequestedProtocols.Contains);
        if (protocol is null)
        {
            ctx.Response.StatusCode = 400;
            await ctx.Response.WriteAsync("no supported protocol");
            return;
        }

        using var ws = await ctx.WebSockets.AcceptWebSocketAsync(protocol);
        var q = ctx.Request.Query;
        var command = q["command"].Select(c => c ?? "").ToArray();
        var v5 = protocol == Protocols[0];
        string status = """{"metadata":{},"status":"Success"}""";
        switch (verb == "attach" ? "attach" : command.FirstOrDefault())
        {
            case "attach":
                await SendAsync(ws, 1, $"attached to {container}\n");
                break;
            case "echo":
                await SendAsync(ws, 1, string.Join(' ', command[1..]) + "\n");
                break;
            case "request":
                await SendAsync(ws, 1, $"{ctx.Request.Path}{ctx.Request.QueryString} {protocol}\n");
                break;
            case "fail":
                await SendAsync(ws, 2, "failing\n");
                status = $$$"""{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: exit status {{{command[1]}}}","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"{{{command[1]}}}"}]}}""";
                break;
            case "cat":
                await CatAsync(ws, v5);
                break;
            default:
                status = """{"metadata":{},"status":"Failure","message":"unknown command"}""";
                break;
        }

        await SendAsync(ws, 3, status);
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    /// <summary>Stdin (channel 0) back out on stdout until v5's close of channel 0, or the client's close.</summary>
    private static async Task CatAsync(WebSocket ws, bool v5)
    {
        var buffer = new byte[64 * 1024];
        while (true)
        {
            using var message = new MemoryStream();
            ValueWebSocketReceiveResult r;
            do
            {
                r = await ws.ReceiveAsync(buffer.AsMemory(), CancellationToken.None);
                message.Write(buffer, 0, r.Count);
            }
            while (!r.EndOfMessage);

            var bytes = message.ToArray();
            if (r.MessageType == WebSocketMessageType.Close || bytes.Length == 0 || (v5 && bytes is [255, 0]))
            {
                return;
            }

            if (bytes[0] == 0 && bytes.Length > 1)
            {
                await ws.SendAsync(new[] { (byte)1 }.Concat(bytes[1..]).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);
            }
        }
    }

    private static Task SendAsync(WebSocket ws, byte channel, string text) =>
        ws.SendAsync(new[] { channel }.Concat(Encoding.UTF8.GetBytes(text)).ToArray(), WebSocketMessageType.Binary, true, CancellationToken.None);

    private static bool ChainsTo(X509Certificate2 cert, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2"));
        return chain.Build(cert);
    }

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=fake-kubelet", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(cert.Export(X509ContentType.Pkcs12), null);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var follow in _follows.Values)
        {
            follow.Writer.TryComplete();
        }

        await _app.StopAsync();
        await _app.DisposeAsync();
        _ca.Dispose();
    }
}
