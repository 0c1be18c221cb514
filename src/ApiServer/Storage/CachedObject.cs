using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Storage;

/// <summary>
/// An object in the watch cache: its stored bytes, parsed or spliced only when someone needs it
/// (a selector or a Table needs the parsed object; a plain list or watch only the served bytes), and
/// then once for every reader. Both forms are shared: do not change them.
/// </summary>
public sealed class CachedObject(byte[] stored, long resourceVersion)
{
    private JsonObject? _parsed;
    private byte[]? _served;

    public long ResourceVersion => resourceVersion;

    public byte[] Stored => stored;

    public JsonObject Object =>
        Volatile.Read(ref _parsed) ?? Interlocked.CompareExchange(ref _parsed, ObjectJson.Parse(stored, resourceVersion), null) ?? _parsed!;

    /// <summary>The object's JSON as served (with its resourceVersion).</summary>
    public byte[] Served =>
        Volatile.Read(ref _served) ?? Interlocked.CompareExchange(ref _served, RawJson.WithResourceVersion(stored, resourceVersion), null) ?? _served!;

    /// <summary>The same object at another revision (a deleted object carries the revision of its deletion).</summary>
    public CachedObject At(long revision) => new(stored, revision);
}
