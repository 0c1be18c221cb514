using Microsoft.Extensions.Logging;

namespace KvCluster.Kv.Bench;

/// <summary>
/// Prints the engine's log lines (checkpoints included, which are at Debug) between the progress
/// lines of the throughput mode, so a stall can be matched with what the engine was doing.
/// </summary>
internal sealed class EngineLog(System.Diagnostics.Stopwatch clock) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        Console.WriteLine($"  [engine {clock.Elapsed.TotalSeconds:F1}s] {logLevel}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.Message)}");
    }
}
