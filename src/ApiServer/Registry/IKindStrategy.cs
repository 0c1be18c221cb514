using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Registry;

/// <summary>
/// What one kind adds to the generic store (Kubernetes' registry strategy): defaults, validation,
/// and the fields an update may not change. The generic store does everything else once for all kinds.
/// </summary>
public interface IKindStrategy
{
    /// <summary>Fills defaults and resets what a client may not set on create (status, for most kinds).</summary>
    void PrepareForCreate(JsonObject obj);

    /// <summary>Carries over, on update, what the client may leave out (a Service's allocated clusterIP and nodePorts).</summary>
    void PrepareForUpdate(JsonObject obj, JsonObject old)
    {
    }

    /// <summary>Brings an object about to be stored, created or updated, to its canonical form (a Secret's stringData into data).</summary>
    void Canonicalize(JsonObject obj)
    {
    }

    /// <summary>Checks an object about to be stored; <paramref name="old"/> is the stored one on update.</summary>
    IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old);

    /// <summary>
    /// The grace period a DELETE gives <paramref name="obj"/> (Kubernetes' CheckGracefulDelete), from the
    /// one the request asks for (null: none asked); 0 deletes at once. Null for kinds never deleted gracefully.
    /// </summary>
    long? GracePeriod(JsonObject obj, long? requested) => null;
}

/// <summary>The strategy of kinds with nothing special: no defaults, no checks beyond the generic ones.</summary>
public sealed class DefaultStrategy : IKindStrategy
{
    public static readonly DefaultStrategy Instance = new();

    public void PrepareForCreate(JsonObject obj)
    {
    }

    public IEnumerable<FieldError> Validate(JsonObject obj, JsonObject? old) => [];
}

/// <summary>
/// Writes with side effects in other keys (a Service's clusterIP and nodePorts): allocated before the
/// object is stored, released when it is deleted or its write fails.
/// </summary>
public interface IAllocations
{
    Task AllocateAsync(JsonObject obj, JsonObject? old, CancellationToken ct);

    /// <summary>Releases what <paramref name="obj"/> holds and <paramref name="keep"/> (its successor, if any) does not.</summary>
    Task ReleaseAsync(JsonObject obj, JsonObject? keep, CancellationToken ct);
}
