namespace KvCluster.KvServer.Tests.Infra;

/// <summary>Checks on "writer-sequence" values (e.g. "3-17") that crash tests write and acknowledge.</summary>
public static class Acks
{
    /// <summary>
    /// A key may hold a write that was applied but whose acknowledgement never arrived: the same
    /// writer's later sequence number. Either that or exactly the acknowledged value is fine.
    /// </summary>
    public static bool Later(string found, string acked) =>
        found == acked || (found.Split('-')[0] == acked.Split('-')[0] && int.Parse(found.Split('-')[1]) >= int.Parse(acked.Split('-')[1]));
}
