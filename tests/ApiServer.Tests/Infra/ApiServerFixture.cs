namespace KvCluster.ApiServer.Tests.Infra;

/// <summary>
/// One apiserver shared by a test class, on the embedded store or on a real etcd 3.4.23. A small watch
/// window (50 events) and frequent bookmarks (1 s) make the window's edge and bookmarks testable.
/// Tests share the server but each works in its own namespace.
/// </summary>
public abstract class ApiServerFixture(bool onEtcd) : IAsyncLifetime
{
    private ApiServerProcess? _server;

    public ApiServerProcess Server => _server ?? throw new InvalidOperationException("not started");

    public bool OnEtcd => onEtcd;

    public async Task InitializeAsync() =>
        _server = await ApiServerProcess.StartAsync(onEtcd, "--watch-cache-size", "50", "--watch-bookmark-interval", "1s");

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

public sealed class EmbeddedApiServer() : ApiServerFixture(false);

public sealed class EtcdApiServer() : ApiServerFixture(true);
