using System.Net;
using System.Net.Sockets;
using k8s.Models;
using KvCluster.NodeAgent.Runtime;

namespace KvCluster.NodeAgent.Probes;

/// <summary>One probe's outcome and, on failure, the kubelet's wording of why.</summary>
public readonly record struct ProbeResult(bool Success, string Message);

/// <summary>
/// Runs one probe attempt as the kubelet does: exec (exit code 0), httpGet (2xx or 3xx, from inside the
/// pod's network namespace), tcpSocket (connect), grpc is answered as unsupported. Each is bounded by
/// timeoutSeconds (default 1).
/// </summary>
public static class ProbeRunner
{
    public static async Task<ProbeResult> RunAsync(V1Probe probe, IPodSandbox sandbox, IContainer container, V1Container spec, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var seconds = probe.TimeoutSeconds is > 0 ? probe.TimeoutSeconds.Value : 1;
        timeout.CancelAfter(TimeSpan.FromSeconds(seconds));
        try
        {
            return probe switch
            {
                { Exec: { } e } => await ExecAsync(container, e.Command ?? [], timeout.Token),
                { HttpGet: { } h } => await HttpAsync(sandbox, h, Port(h.Port, spec), timeout.Token),
                { TcpSocket: { } t } => await TcpAsync(sandbox, t.Host, Port(t.Port, spec), timeout.Token),
                _ => new ProbeResult(false, "probe type not supported by this node agent (exec, httpGet, tcpSocket)"),
            };
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return new ProbeResult(false, probe.Exec is { } e
                ? $"command \"{string.Join(' ', e.Command ?? [])}\" timed out"
                : $"timeout: probe did not answer within {seconds}s");
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // A probe that cannot even run (the exec cannot start, a named port is missing) has failed.
            return new ProbeResult(false, e.Message);
        }
    }

    private static int Port(IntOrString port, V1Container spec)
    {
        if (int.TryParse(port.Value, out var n))
        {
            return n;
        }

        return spec.Ports?.FirstOrDefault(p => p.Name == port.Value)?.ContainerPort
            ?? throw new InvalidOperationException($"couldn't find port {port.Value} in container {spec.Name}");
    }

    private static async Task<ProbeResult> ExecAsync(IContainer container, IList<string> command, CancellationToken ct)
    {
        await using var session = await container.ExecAsync([.. command], false, null, ct);
        session.Stdin.Dispose();
        var stdout = ReadAsync(session.Stdout, ct);
        var stderr = session.Stderr is { } e ? ReadAsync(e, ct) : Task.FromResult("");
        var code = await session.Exited.WaitAsync(ct);
        var output = (await stdout) + (await stderr);
        return code == 0 ? new(true, output) : new(false, output.Length > 0 ? output.TrimEnd() : $"command \"{string.Join(' ', command)}\" exited with {code}");
    }

    private static async Task<string> ReadAsync(Stream s, CancellationToken ct)
    {
        using var reader = new StreamReader(s);
        var text = await reader.ReadToEndAsync(ct);
        return text.Length > 10 * 1024 ? text[..(10 * 1024)] : text;
    }

    private static async Task<ProbeResult> TcpAsync(IPodSandbox sandbox, string? host, int port, CancellationToken ct)
    {
        using var socket = sandbox.CreateSocket();
        try
        {
            await socket.ConnectAsync(Address(host), port, ct);
            return new(true, "");
        }
        catch (SocketException e)
        {
            return new(false, $"dial tcp {Address(host)}:{port}: connect: {e.Message.ToLowerInvariant()}");
        }
    }

    private static async Task<ProbeResult> HttpAsync(IPodSandbox sandbox, V1HTTPGetAction h, int port, CancellationToken ct)
    {
        var address = Address(h.Host);
        using var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            ConnectCallback = async (_, token) =>
            {
                var socket = sandbox.CreateSocket();
                try
                {
                    await socket.ConnectAsync(address, port, token);
                    return new NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            },
        };
        using var http = new HttpClient(handler);
        var scheme = h.Scheme?.ToLowerInvariant() == "https" ? "https" : "http";
        var path = string.IsNullOrEmpty(h.Path) ? "/" : h.Path.StartsWith('/') ? h.Path : "/" + h.Path;
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{scheme}://{address}:{port}{path}");
        request.Headers.TryAddWithoutValidation("User-Agent", "kube-probe/1.32");
        request.Headers.TryAddWithoutValidation("Accept", "*/*");
        foreach (var header in h.HttpHeaders ?? [])
        {
            request.Headers.TryAddWithoutValidation(header.Name, header.Value);
        }

        try
        {
            using var response = await http.SendAsync(request, ct);
            var code = (int)response.StatusCode;
            return code is >= 200 and < 400 ? new(true, "") : new(false, $"HTTP probe failed with statuscode: {code}");
        }
        catch (HttpRequestException e)
        {
            return new(false, $"Get \"{request.RequestUri}\": {e.InnerException?.Message ?? e.Message}");
        }
    }

    private static IPAddress Address(string? host) =>
        string.IsNullOrEmpty(host) ? IPAddress.Loopback : IPAddress.TryParse(host, out var ip) ? ip : Dns.GetHostAddresses(host)[0];
}
