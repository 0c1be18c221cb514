using System.Diagnostics;
using Grpc.Net.Client;
using KvCluster.Bench;
using KvCluster.KvServer.Api;

namespace KvCluster.KvBench;

/// <summary>
/// What every workload shares: connections over the endpoints (or only the leader's with
/// --target-leader), a client count, and an optional overall rate limit (--rate, requests/s).
/// </summary>
internal sealed class Load : IDisposable
{
    private readonly long _interval;
    private long _nextSlot;

    private Load(Options opts, GrpcChannel[] channels, string[] endpoints)
    {
        Opts = opts;
        Channels = channels;
        Endpoints = endpoints;
        Clients = opts.Int("clients", 1);
        int rate = opts.Int("rate", 0);
        _interval = rate > 0 ? Stopwatch.Frequency / rate : 0;
        _nextSlot = Stopwatch.GetTimestamp();
    }

    public Options Opts { get; }

    public GrpcChannel[] Channels { get; }

    public string[] Endpoints { get; }

    public int Clients { get; }

    public GrpcChannel Channel(int client) => Channels[client % Channels.Length];

    public static async Task<Load> OpenAsync(Options opts)
    {
        var endpoints = opts.Get("endpoints", "127.0.0.1:2379").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(Url).ToArray();
        if (opts.Flag("target-leader"))
        {
            endpoints = [await LeaderAsync(endpoints)];
        }

        int conns = opts.Int("conns", 1);
        var channels = Enumerable.Range(0, conns).Select(i => GrpcChannel.ForAddress(endpoints[i % endpoints.Length],
            new GrpcChannelOptions { HttpHandler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan } })).ToArray();
        return new Load(opts, channels, endpoints);
    }

    /// <summary>With --rate, waits for this request's turn; otherwise returns at once.</summary>
    public async ValueTask PaceAsync()
    {
        if (_interval == 0)
        {
            return;
        }

        long slot = Interlocked.Add(ref _nextSlot, _interval) - _interval;
        long wait = slot - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            await Task.Delay(TimeSpan.FromTicks(wait * TimeSpan.TicksPerSecond / Stopwatch.Frequency));
        }
    }

    public Dictionary<string, object> Describe(string workload) => new()
    {
        ["workload"] = workload,
        ["endpoints"] = string.Join(",", Endpoints),
        ["conns"] = Channels.Length,
        ["clients"] = Clients,
        ["rate"] = Opts.Int("rate", 0),
    };

    private static string Url(string endpoint) => endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : "http://" + endpoint;

    /// <summary>The endpoint whose member reports itself leader (Maintenance.Status), as etcd's benchmark --target-leader does.</summary>
    private static async Task<string> LeaderAsync(string[] endpoints)
    {
        foreach (var e in endpoints)
        {
            using var channel = GrpcChannel.ForAddress(e);
            var s = await new Maintenance.MaintenanceClient(channel).StatusAsync(new StatusRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
            if (s.Leader == s.Header.MemberId)
            {
                return e;
            }
        }

        throw new InvalidOperationException($"no leader among {string.Join(",", endpoints)}");
    }

    public void Dispose()
    {
        foreach (var c in Channels)
        {
            c.Dispose();
        }
    }
}
