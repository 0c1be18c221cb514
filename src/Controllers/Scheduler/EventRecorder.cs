using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace KvCluster.Controllers.Scheduler;

/// <summary>Posts core/v1 Events about pods from the scheduler (source: its name, as kube-scheduler's "default-scheduler"); a failure to post is only logged.</summary>
internal sealed class EventRecorder(IKubernetes client, string component, ILogger log)
{
    public void Normal(V1Pod pod, string reason, string message) => Post(pod, "Normal", reason, message);

    public void Warning(V1Pod pod, string reason, string message) => Post(pod, "Warning", reason, message);

    private void Post(V1Pod pod, string type, string reason, string message)
    {
        var now = DateTime.UtcNow;
        var ev = new Corev1Event
        {
            Metadata = new V1ObjectMeta { Name = $"{pod.Name()}.{now.Ticks:x}", NamespaceProperty = pod.Namespace() },
            InvolvedObject = new V1ObjectReference
            {
                Kind = "Pod", ApiVersion = "v1", Name = pod.Name(), NamespaceProperty = pod.Namespace(), Uid = pod.Uid(), ResourceVersion = pod.ResourceVersion(),
            },
            Reason = reason,
            Message = message,
            Type = type,
            Source = new V1EventSource { Component = component },
            ReportingComponent = component,
            ReportingInstance = Environment.MachineName,
            Action = "Scheduling",
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
