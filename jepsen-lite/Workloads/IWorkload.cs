namespace KvCluster.JepsenLite.Workloads;

/// <summary>A workload: what each client does until the run's time is up, then the final reads once the faults are healed.</summary>
public interface IWorkload
{
    string Name { get; }

    /// <param name="worker">The client's number (0 ≤ worker &lt; concurrency): its first process number and its member.</param>
    Task ClientAsync(int worker, int concurrency, Random rng, CancellationToken ct);

    /// <summary>Final linearizable reads, as process <paramref name="process"/>.</summary>
    Task FinalAsync(int process, CancellationToken ct);
}
