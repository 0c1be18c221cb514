namespace KvCluster.KvServer.Raft;

/// <summary>
/// The logger factory given to DotNext, passing everything on, and calling back when DotNext logs
/// its WAL's MissingPageException ("WAL page N doesn't exist on the disk"): the one sign of the
/// failure that leaves the WAL broken until restarted (see <see cref="RaftNode"/>).
/// </summary>
public sealed class WalFailureWatch(ILoggerFactory inner, Action onMissingPage) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => new Watch(inner.CreateLogger(categoryName), onMissingPage);

    public void AddProvider(ILoggerProvider provider) => inner.AddProvider(provider);

    public void Dispose()
    {
        // The inner factory belongs to the host.
    }

    internal static bool IsMissingPage(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e.GetType().Name == "MissingPageException")
            {
                return true;
            }
        }

        return false;
    }

    private sealed class Watch(ILogger inner, Action onMissingPage) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        // Failures are logged at Warning or above; below that, only what the host wants.
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning || inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsMissingPage(exception))
            {
                onMissingPage();
            }

            if (inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
