using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using KvCluster.NodeAgent.Logs;
using KvCluster.NodeAgent.Server;
using KvCluster.NodeAgent.Tests.Infra;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvCluster.NodeAgent.Tests.Server;

public sealed class KubeletServerTests : IAsyncLifetime
{
    private const string V5 = "v5.channel.k8s.io";
    private const string V4 = "v4.channel.k8s.io";
    private readonly string _dir = Directory.CreateTempSubdirectory("kubeletsrv-").FullName;
    private readonly TestPki _pki = new();
    private readonly FakeContainerStreams _streams = new();
    private X509Certificate2 _client = null!;
    private KubeletServer _server = null!;

    public async Task InitializeAsync()
    {
        _client = _pki.Client();
        _server = await Start();
    }

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _client.Dispose();
        _pki.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public async Task Port_forward_needs_a_known_pod_and_the_spdy_websocket_tunnel()
    {
        using var http = Http(_client);
        var plain = await http.GetAsync("/portForward/ns/pod?ports=80");
        Assert.Equal(HttpStatusCode.BadRequest, plain.StatusCode);
        Assert.Contains("SPDY/3.1+portforward.k8s.io", await plain.Content.ReadAsStringAsync());
        var missing = await http.GetAsync("/portForward/ns/nobody?ports=80");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Contains("pod \"nobody\" does not exist", await missing.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Requests_without_a_certificate_from_the_client_ca_are_401()
    {
        using var anonymous = Http(null);
        var r = await anonymous.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode);
        Assert.Equal("""{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}""", await r.Content.ReadAsStringAsync());

        using var otherCa = new TestPki("other-ca");
        using var stranger = otherCa.Client();
        using var wrong = Http(stranger);
        Assert.Equal(HttpStatusCode.Unauthorized, (await wrong.GetAsync("/containerLogs/ns/pod/c")).StatusCode);

        using var ok = Http(_client);
        Assert.Equal("ok", await ok.GetStringAsync("/healthz"));
        Assert.Contains("# TYPE", await ok.GetStringAsync("/metrics"));
    }

    [Fact]
    public async Task The_serving_certificate_is_made_once_and_reused()
    {
        var crt = Path.Combine(_dir, "certs", "kubelet.crt");
        using var first = X509CertificateLoader.LoadCertificateFromFile(crt);
        await using (var again = await Start())
        {
            using var ok = Http(_client, again.Port, expectThumbprint: first.Thumbprint);
            Assert.Equal("ok", await ok.GetStringAsync("/healthz"));
        }

        Assert.Contains("node-1", first.GetNameInfo(X509NameType.DnsFromAlternativeName, false));
    }

    [Fact]
    public async Task ContainerLogs_honours_tail_timestamps_limit_and_kubelet_errors()
    {
        WriteLog(("a", false), ("b", false), ("c", false));
        using var http = Http(_client);
        Assert.Equal("a\nb\nc\n", await http.GetStringAsync("/containerLogs/ns/pod/c"));
        Assert.Equal("c\n", await http.GetStringAsync("/containerLogs/ns/pod/c?tailLines=1"));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z c\n$", await http.GetStringAsync("/containerLogs/ns/pod/c?tailLines=1&timestamps=true"));
        Assert.Equal("a\nb", await http.GetStringAsync("/containerLogs/ns/pod/c?limitBytes=3"));
        Assert.Equal("", await http.GetStringAsync("/containerLogs/ns/pod/c?sinceTime=2999-01-01T00:00:00Z"));

        // As the kubelet: an unknown pod or container is 404, a known one without the asked-for instance 400.
        var missing = await http.GetAsync("/containerLogs/ns/pod/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("container \"nope\" not found in pod \"pod\"", await missing.Content.ReadAsStringAsync());
        var previous = await http.GetAsync("/containerLogs/ns/pod/c?previous=true");
        Assert.Equal(HttpStatusCode.BadRequest, previous.StatusCode);
        Assert.Equal("previous terminated container \"c\" in pod \"pod\" not found", await previous.Content.ReadAsStringAsync());

        var negative = await http.GetAsync("/containerLogs/ns/pod/c?tailLines=-1");
        Assert.Equal(HttpStatusCode.UnprocessableEntity, negative.StatusCode);
        Assert.Equal("invalid request: tailLines: Invalid value: -1: must be greater than or equal to 0", await negative.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.BadRequest, (await http.GetAsync("/containerLogs/ns/pod/c?tailLines=x")).StatusCode);
    }

    [Fact]
    public async Task ContainerLogs_follow_streams_lines_as_they_are_written_until_the_container_stops()
    {
        bool running = true;
        var path = Path.Combine(_dir, "follow.log");
        using var writer = new CriLogWriter(path);
        writer.Write(LogStream.Stdout, "first"u8, partial: false);
        _streams.Log = new ContainerLog(path, () => Volatile.Read(ref running));
        using var http = Http(_client);
        using var response = await http.GetAsync("/containerLogs/ns/pod/c?follow=true", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        using var body = new StreamReader(await response.Content.ReadAsStreamAsync());
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        Assert.Equal("first", await body.ReadLineAsync(timeout.Token));

        writer.Write(LogStream.Stderr, "second"u8, partial: false);
        Assert.Equal("second", await body.ReadLineAsync(timeout.Token));

        Volatile.Write(ref running, false);
        Assert.Equal("", await body.ReadToEndAsync(timeout.Token));
    }

    [Fact]
    public async Task Exec_v5_carries_stdout_stderr_stdin_with_close_and_the_exit_status()
    {
        // The shell waits for the end of stdin before it exits: without that it could exit after "hello",
        // and the server's close could race the client's stdin close.
        var script = "echo out; echo err >&2; read x; echo got $x; while read y; do :; done; exit 3";
        await using var ws = await ChannelClient.ConnectAsync(_server.Port, ExecPath(["sh", "-c", script], stdin: true), _client, V5, V4);
        Assert.Equal(V5, ws.Protocol);
        var reading = ws.ReadToCloseAsync();
        await ws.SendAsync(0, "hello\n");
        await ws.SendAsync(255, [0]);
        await reading;

        Assert.Equal("out\ngot hello\n", ws.Stdout.ToString());
        Assert.Equal("err\n", ws.Stderr.ToString());
        Assert.Equal(
            """{"metadata":{},"status":"Failure","message":"command terminated with non-zero exit code: error executing command [sh -c """ + script +
            """], exit code 3","reason":"NonZeroExitCode","details":{"causes":[{"reason":"ExitCode","message":"3"}]}}""",
            ws.Error.ToString());
        Assert.Equal(System.Net.WebSockets.WebSocketCloseStatus.NormalClosure, ws.CloseStatus);
    }

    [Fact]
    public async Task Exec_v5_stdin_close_ends_cat()
    {
        await using var ws = await ChannelClient.ConnectAsync(_server.Port, ExecPath(["cat"], stdin: true), _client, V5);
        var reading = ws.ReadToCloseAsync();
        await ws.SendAsync(0, "one\n");
        await ws.SendAsync(0, "two");
        await ws.SendAsync(255, [0]);
        await reading;
        Assert.Equal("one\ntwo", ws.Stdout.ToString());
        Assert.Equal("""{"metadata":{},"status":"Success"}""", ws.Error.ToString());
    }

    [Fact]
    public async Task Exec_v4_is_negotiated_when_offered_alone_and_reports_success()
    {
        await using var ws = await ChannelClient.ConnectAsync(_server.Port, ExecPath(["sh", "-c", "echo hi; echo there >&2"], stdin: false), _client, V4, "channel.k8s.io");
        Assert.Equal(V4, ws.Protocol);
        await ws.ReadToCloseAsync();
        Assert.Equal("hi\n", ws.Stdout.ToString());
        Assert.Equal("there\n", ws.Stderr.ToString());
        Assert.Equal("""{"metadata":{},"status":"Success"}""", ws.Error.ToString());
    }

    [Fact]
    public async Task Exec_v4_nonzero_exit_and_a_command_that_cannot_start()
    {
        await using (var ws = await ChannelClient.ConnectAsync(_server.Port, ExecPath(["sh", "-c", "exit 7"], stdin: false), _client, V4))
        {
            await ws.ReadToCloseAsync();
            Assert.Contains("\"reason\":\"NonZeroExitCode\"", ws.Error.ToString());
            Assert.Contains("\"causes\":[{\"reason\":\"ExitCode\",\"message\":\"7\"}]", ws.Error.ToString());
        }

        await using (var ws = await ChannelClient.ConnectAsync(_server.Port, ExecPath(["/no/such/binary"], stdin: false), _client, V5))
        {
            await ws.ReadToCloseAsync();
            Assert.StartsWith(""""{"metadata":{},"status":"Failure","message":"Internal error occurred: error executing command in container: exec: \"/no/such/binary\"""", ws.Error.ToString());
            Assert.Contains("\"reason\":\"InternalError\"", ws.Error.ToString());
            Assert.EndsWith("\"code\":500}", ws.Error.ToString());
        }
    }

    [Fact]
    public async Task Tty_exec_starts_on_the_clients_first_size_and_keeps_stdin_sent_before_it()
    {
        // kubectl sends its terminal's size after connecting, possibly after stdin: the command must start on that size.
        var path = "/exec/ns/pod/c?command=sh&command=-c&command=" + Uri.EscapeDataString("read x; echo got $x") + "&input=1&output=1&tty=1";
        await using var ws = await ChannelClient.ConnectAsync(_server.Port, path, _client, V5);
        var reading = ws.ReadToCloseAsync();
        await ws.SendAsync(0, "typed early\n");
        await Task.Delay(200);
        Assert.Empty(_streams.Execs);
        await ws.SendAsync(4, """{"Width":111,"Height":33}""");
        await reading;

        Assert.Equal([new TerminalSize(111, 33)], _streams.ExecSizes);
        Assert.Equal("got typed early\n", ws.Stdout.ToString());
        Assert.Equal("""{"metadata":{},"status":"Success"}""", ws.Error.ToString());
    }

    [Fact]
    public async Task Exec_without_stdin_gives_the_command_end_of_input()
    {
        // kubectl exec pod -- cat (no -i): cat reads end of input and exits, as on a kubelet.
        await using var ws = await ChannelClient.ConnectAsync(_server.Port, ExecPath(["cat"], stdin: false), _client, V5);
        await ws.ReadToCloseAsync(TimeSpan.FromSeconds(10));
        Assert.Equal("", ws.Stdout.ToString());
        Assert.Equal("""{"metadata":{},"status":"Success"}""", ws.Error.ToString());
    }

    [Fact]
    public async Task Exec_refusals_happen_before_the_upgrade()
    {
        using var http = Http(_client);
        var notWs = await http.GetAsync("/exec/ns/pod/c?command=true&output=1");
        Assert.Equal(HttpStatusCode.BadRequest, notWs.StatusCode);

        var missing = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() =>
            ChannelClient.ConnectAsync(_server.Port, "/exec/ns/pod/nope?command=true&output=1", _client, V5));
        Assert.Contains("404", missing.Message);

        var noStreams = await Assert.ThrowsAsync<System.Net.WebSockets.WebSocketException>(() =>
            ChannelClient.ConnectAsync(_server.Port, "/exec/ns/pod/c?command=true", _client, V5));
        Assert.Contains("400", noStreams.Message);
        Assert.Empty(_streams.Execs);
    }

    [Fact]
    public async Task Attach_shows_output_from_now_on_feeds_stdin_and_ends_with_the_container()
    {
        bool running = true;
        var path = Path.Combine(_dir, "attach.log");
        using var writer = new CriLogWriter(path);
        writer.Write(LogStream.Stdout, "old"u8, partial: false);
        var stdin = new MemoryStream();
        _streams.AttachTo = new ContainerAttach(new ContainerLog(path, () => Volatile.Read(ref running)), stdin, Tty: false);
        await using var ws = await ChannelClient.ConnectAsync(_server.Port, "/attach/ns/pod/c?input=1&output=1&error=1", _client, V5);
        var reading = ws.ReadToCloseAsync();
        await ws.SendAsync(0, "typed");
        await Task.Delay(300);
        writer.Write(LogStream.Stdout, "new"u8, partial: false);
        writer.Write(LogStream.Stderr, "bad"u8, partial: false);
        await Task.Delay(300);
        Volatile.Write(ref running, false);
        await reading;
        Assert.Equal("new\n", ws.Stdout.ToString());
        Assert.Equal("bad\n", ws.Stderr.ToString());
        Assert.Equal("typed", Encoding.UTF8.GetString(stdin.ToArray()));
        Assert.Equal("""{"metadata":{},"status":"Success"}""", ws.Error.ToString());
    }

    private static string ExecPath(string[] command, bool stdin) =>
        "/exec/ns/pod/c?" + string.Join('&', command.Select(c => "command=" + Uri.EscapeDataString(c))) + (stdin ? "&input=1" : "") + "&output=1&error=1";

    private void WriteLog(params (string Text, bool Stderr)[] lines)
    {
        var path = Path.Combine(_dir, "c.log");
        using (var w = new CriLogWriter(path))
        {
            foreach (var (text, stderr) in lines)
            {
                w.Write(stderr ? LogStream.Stderr : LogStream.Stdout, Encoding.UTF8.GetBytes(text), partial: false);
            }
        }

        _streams.Log = new ContainerLog(path, () => false);
    }

    private Task<KubeletServer> Start() => KubeletServer.StartAsync(
        new KubeletServerOptions { Port = 0, CertDir = Path.Combine(_dir, "certs"), NodeName = "node-1", ClientCa = _pki.CaPublic },
        _streams, NullLoggerFactory.Instance, CancellationToken.None);

    private HttpClient Http(X509Certificate2? cert, int? port = null, string? expectThumbprint = null)
    {
        var handler = new SocketsHttpHandler();
        handler.SslOptions.RemoteCertificateValidationCallback = (_, server, _, _) =>
            expectThumbprint is null || (server as X509Certificate2)?.Thumbprint == expectThumbprint;
        if (cert is not null)
        {
            handler.SslOptions.ClientCertificates = [cert];
        }

        return new HttpClient(handler) { BaseAddress = new Uri($"https://127.0.0.1:{port ?? _server.Port}"), Timeout = TimeSpan.FromSeconds(20) };
    }
}
