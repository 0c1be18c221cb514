using System.Net;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// The logger factory given to DotNext, passing everything on, and calling back on the two signs of
/// DotNext 6.12 failures that only its log shows (see <see cref="RaftNode"/>):
/// <list type="bullet">
/// <item>its WAL's MissingPageException ("WAL page N doesn't exist on the disk"), which leaves the
/// WAL broken until restarted;</item>
/// <item>a leader installing the same snapshot on the same member again and again
/// (<see cref="SnapshotLoopDetector"/>).</item>
/// </list>
/// </summary>
public sealed class DotNextLogWatch(ILoggerFactory inner, Action onMissingPage, SnapshotLoopDetector snapshots) : ILoggerFactory
{
    /// <summary>DotNext's "Installing snapshot at index {EntryIndex} for member {Member}" (Information).</summary>
    internal const int InstallingSnapshotEvent = 74018;

    public ILogger CreateLogger(string categoryName) => new Watch(inner.CreateLogger(categoryName), onMissingPage, snapshots);

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

    /// <summary>The EndPoint and long values of a structured log state, by name.</summary>
    private static (EndPoint? Member, long? Index) MemberAndIndex<TState>(TState state)
    {
        EndPoint? member = null;
        long? index = null;
        if (state is IReadOnlyList<KeyValuePair<string, object?>> fields)
        {
            foreach (var (name, value) in fields)
            {
                if (name == "Member" && value is EndPoint ep)
                {
                    member = ep;
                }
                else if (name == "EntryIndex" && value is long l)
                {
                    index = l;
                }
            }
        }

        return (member, index);
    }

    private sealed class Watch(ILogger inner, Action onMissingPage, SnapshotLoopDetector snapshots) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => inner.BeginScope(state);

        // Failures are logged at Warning or above, snapshot installs at Information; below that, only what the host wants.
        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information || inner.IsEnabled(logLevel);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsMissingPage(exception))
            {
                onMissingPage();
            }

            if (eventId.Id == InstallingSnapshotEvent && MemberAndIndex(state) is ({ } member, { } index))
            {
                snapshots.Installing(member, index);
            }

            if (inner.IsEnabled(logLevel))
            {
                inner.Log(logLevel, eventId, state, exception, formatter);
            }
        }
    }
}
