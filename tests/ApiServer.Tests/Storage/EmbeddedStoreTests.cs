using System.Collections.Concurrent;
using KvCluster.ApiServer.Storage;
using Microsoft.Extensions.Logging;

namespace KvCluster.ApiServer.Tests.Storage;

public sealed class EmbeddedStoreTests
{
    /// <summary>
    /// The apiserver's store takes its first, costly checkpoints as it opens, idle, with nothing written:
    /// left to the engine's timer, the first one fell 10 s after the first write, inside the first load.
    /// </summary>
    [Fact]
    public async Task Takes_its_first_checkpoints_at_open_and_logs_them()
    {
        string dir = Path.Combine(Path.GetTempPath(), "kv-embedded-" + Guid.NewGuid().ToString("N"));
        var log = new Lines();
        try
        {
            await using (EmbeddedStore.Open(dir, log))
            {
                for (int i = 0; i < 300 && log.Messages.Count(m => m.StartsWith("checkpoint taken", StringComparison.Ordinal)) < 2; i++)
                {
                    await Task.Delay(50);
                }

                Assert.Equal(2, log.Messages.Count(m => m.StartsWith("checkpoint taken", StringComparison.Ordinal)));
                Assert.Contains(Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories), f => f.Contains("index-checkpoints", StringComparison.Ordinal));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private sealed class Lines : ILogger
    {
        public ConcurrentQueue<string> Messages { get; } = new();

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Messages.Enqueue(formatter(state, exception));
    }
}
