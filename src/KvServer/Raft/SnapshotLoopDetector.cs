using System.Collections.Concurrent;
using System.Net;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// Spots DotNext 6.12's snapshot livelock on a leader. A follower refuses a snapshot whose index is
/// not above its commit index (it already has it: the leader re-sent an install that timed out but
/// completed), and answers "rejected" without saying how far it is. The leader then moves that
/// member's next index one entry back, which is still below its snapshot point, so it sends the same
/// snapshot again, which is refused again: forever, or until the snapshot point moves, and it moves
/// only after --snapshot-count more entries, which may never commit (in a 3-member cluster with
/// another member down, nothing commits without this one). The follower never hears an accepted
/// message, so it also keeps calling elections it cannot win.
/// <para>
/// The sign is the same snapshot index installed on the same member <see cref="Threshold"/> times in
/// a row (a lost install is re-sent once; a second re-send means it is being refused). The cure is
/// a new leadership: a new leader starts every member's next index at its log's end, from where the
/// usual consistency check walks back to what the follower has, above the snapshot.
/// </para>
/// </summary>
public sealed class SnapshotLoopDetector(Action<EndPoint, long> onLoop)
{
    /// <summary>Installs of the same snapshot on the same member, in a row, that make a loop.</summary>
    public const int Threshold = 3;

    private readonly ConcurrentDictionary<EndPoint, (long Index, int Count)> _last = new();

    /// <summary>The leader starts installing snapshot <paramref name="index"/> on <paramref name="member"/>.</summary>
    public void Installing(EndPoint member, long index)
    {
        var now = _last.AddOrUpdate(member, (index, 1), (_, last) => last.Index == index ? (index, last.Count + 1) : (index, 1));
        if (now.Count >= Threshold)
        {
            _last.TryRemove(member, out _);
            onLoop(member, index);
        }
    }

    /// <summary>Forgets what was seen (this member stopped leading).</summary>
    public void Reset() => _last.Clear();
}
