using Microsoft.Extensions.Logging;

namespace KvCluster.ApiServer;

/// <summary>The apiserver's structured log lines.</summary>
internal static partial class ApiServerLog
{
    [LoggerMessage(1, LogLevel.Warning, "Watch cache for {Prefix} restarts: {Reason}")]
    public static partial void WatchCacheRestart(ILogger log, string prefix, string reason);

    [LoggerMessage(2, LogLevel.Information, "apiserver ready on {Url}; kubeconfig {Kubeconfig}; store {Store}")]
    public static partial void Ready(ILogger log, string url, string kubeconfig, string store);

    [LoggerMessage(3, LogLevel.Error, "Request {Method} {Path} failed")]
    public static partial void RequestFailed(ILogger log, Exception e, string method, string path);

    [LoggerMessage(4, LogLevel.Information, "Created namespace {Namespace}")]
    public static partial void NamespaceCreated(ILogger log, string @namespace);
}
