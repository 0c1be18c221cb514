using Prometheus;

namespace KvCluster.Controllers.Scheduler;

/// <summary>kube-scheduler's metric names, for what this scheduler does.</summary>
internal static class SchedulerMetrics
{
    public static readonly Counter Attempts = Metrics.CreateCounter(
        "scheduler_schedule_attempts_total", "Number of attempts to schedule pods, by the result.", "result");

    public static readonly Histogram AttemptDuration = Metrics.CreateHistogram(
        "scheduler_scheduling_attempt_duration_seconds", "Scheduling attempt latency in seconds (scheduling algorithm + binding).",
        new HistogramConfiguration { LabelNames = ["result"], Buckets = Histogram.ExponentialBuckets(0.001, 2, 15) });

    public static readonly Gauge Pending = Metrics.CreateGauge(
        "scheduler_pending_pods", "Number of pending pods, by the queue type.", "queue");
}
