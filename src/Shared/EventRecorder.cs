using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace KvCluster.Shared;

/// <summary>
/// Posts core/v1 Events about pods as a Kubernetes component does: its name as the source (kubelet,
/// default-scheduler), the node as host where there is one, the container as the field path where one is
/// concerned. Posting does not wait; a failure to post is only logged.
/// </summary>
public sealed class EventRecorder(IKubernetes client, string component, string? host, ILogger log, string? action = null)
{
    public void Normal(V1Pod pod, string? container, string reason, string message) => Post(pod, container, "Normal", reason, message);

    public void Warning(V1Pod pod, string? container, string reason, string message) => Post(pod, container, "Warning", reason, message);

    private void Post(V1Pod pod, string? container, string type, string reason, string message)
    {
        var now = DateTime.UtcNow;
        var ev = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = $"{pod.Name()}.{now.Ticks:x}", NamespaceProperty = pod.Namespace() },
            InvolvedObject = new V1ObjectReference
            {
                Kind = "Pod", ApiVersion = "v1", Name = pod.Name(), NamespaceProperty = pod.Namespace(), Uid = pod.Uid(),
                ResourceVersion = pod.ResourceVersion(), FieldPath = container is null ? null : $"spec.containers{{{container}}}",
            },
            Reason = reason,
            Message = message,
            Type = type,
            Source = new V1EventSource { Component = component, Host = host },
            ReportingComponent = component,
            ReportingInstance = host ?? Environment.MachineName,
            Action = action,
            FirstTimestamp = now,
            LastTimestamp = now,
            Count = 1,
        };
        _ = Task.Run(async () =>
        {
            try
            {
                await client.CoreV1.CreateNamespacedEventAsync(ev, pod.Namespace());
            }
            catch (Exception e)
            {
                log.LogDebug("event {Reason} for {Pod} not posted: {Error}", reason, pod.Name(), e.Message);
            }
        });
    }
}
