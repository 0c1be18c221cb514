using DotNext.IO;
using DotNext.Net.Cluster.Consensus.Raft.StateMachine;
using KvCluster.KvServer.Hosting;

namespace KvCluster.KvServer.Raft;

/// <summary>
/// The Raft snapshot at <see cref="Index"/>: the engine itself, which holds every entry up to there
/// durably. Sent to a follower too far behind as a store snapshot taken when sending; it may go past
/// <see cref="Index"/>, which is harmless: it carries its own applied position and the follower skips
/// the entries it already holds.
/// </summary>
public sealed class EngineSnapshot(EngineSlot slot, long index, long term, string tempDir, Func<Task> ready) : ISnapshot
{
    public long Index => index;

    public long Term => term;

    public bool IsReusable => true;

    public long? Length => null;

    public DateTimeOffset Timestamp { get; } = DateTimeOffset.UtcNow;

    public async ValueTask WriteToAsync<TWriter>(TWriter writer, CancellationToken token)
        where TWriter : IAsyncBinaryWriter
    {
        // An engine still being built from a received snapshot is the one to send.
        await ready().ConfigureAwait(false);
        string path = Path.Combine(tempDir, $"snapshot-send-{Guid.NewGuid():N}.tmp");
        await using var file = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1 << 16, FileOptions.Asynchronous | FileOptions.DeleteOnClose);
        await slot.Current.SnapshotAsync(file, token).ConfigureAwait(false);
        file.Position = 0;
        await writer.CopyFromAsync(file, null, token).ConfigureAwait(false);
    }
}
