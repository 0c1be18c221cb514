using System.Diagnostics;
using Grpc.Core;
using Grpc.Core.Interceptors;
using KvCluster.KvServer.Hosting;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace KvCluster.KvServer.Rpc;

/// <summary>
/// Wraps every RPC: translates domain errors into etcd's statuses (<see cref="RpcErrors"/>) so
/// handlers stay short, and counts and times calls under go-grpc-prometheus' metric names, which is
/// what etcd exposes. Requests that require a leader (metadata hasleader=true) fail fast without one.
/// </summary>
public sealed class RpcInterceptor(ILogger<RpcInterceptor> logger, Consensus.IConsensus consensus) : Interceptor
{
    private static readonly string[] MethodLabels = ["grpc_type", "grpc_service", "grpc_method"];

    private static readonly Counter Started = Metrics.CreateCounter("grpc_server_started_total", "Total number of RPCs started on the server.", MethodLabels);

    private static readonly Counter Handled = Metrics.CreateCounter(
        "grpc_server_handled_total", "Total number of RPCs completed on the server, regardless of success or failure.", [.. MethodLabels, "grpc_code"]);

    private static readonly Histogram Latency = Metrics.CreateHistogram(
        "grpc_server_handling_seconds", "Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.",
        new HistogramConfiguration { LabelNames = MethodLabels, Buckets = Histogram.ExponentialBuckets(0.0001, 2, 18) });

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        Observe("unary", context, () => continuation(request, context));

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        Observe("client_stream", context, () => continuation(requestStream, context));

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        Observe("server_stream", context, async () =>
        {
            await continuation(request, responseStream, context);
            return true;
        });

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        Observe("bidi_stream", context, async () =>
        {
            await continuation(requestStream, responseStream, context);
            return true;
        });

    private async Task<T> Observe<T>(string type, ServerCallContext context, Func<Task<T>> call)
    {
        var (service, method) = Split(context.Method);
        Started.WithLabels(type, service, method).Inc();
        long start = Stopwatch.GetTimestamp();
        var code = StatusCode.OK;
        try
        {
            // clientv3's WithRequireLeader: a request carrying hasleader=true fails at once without a leader.
            if (context.RequestHeaders.GetValue("hasleader") == "true" && consensus.Status.Leader == 0)
            {
                throw new RpcException(new Status(StatusCode.Unavailable, "etcdserver: no leader"));
            }

            return await call();
        }
        catch (Exception e)
        {
            if (e is not (RpcException or Kv.KvException or Auth.AuthException or OperationCanceledException or Google.Protobuf.InvalidProtocolBufferException))
            {
                KvServerLog.RpcFailed(logger, context.Method, e);
            }

            var rpc = context.CancellationToken.IsCancellationRequested && e is OperationCanceledException
                ? new RpcException(new Status(StatusCode.Cancelled, "etcdserver: request canceled"))
                : RpcErrors.From(e);
            code = rpc.StatusCode;
            throw rpc;
        }
        finally
        {
            Handled.WithLabels(type, service, method, CodeName(code)).Inc();
            Latency.WithLabels(type, service, method).Observe(Stopwatch.GetElapsedTime(start).TotalSeconds);
        }
    }

    private static (string Service, string Method) Split(string fullMethod)
    {
        int slash = fullMethod.LastIndexOf('/');
        return slash <= 0 ? ("unknown", fullMethod) : (fullMethod[1..slash], fullMethod[(slash + 1)..]);
    }

    private static string CodeName(StatusCode code) => code.ToString();
}
