namespace KvCluster.ApiServer.Tests.Infra;

internal static class Names
{
    /// <summary>A fresh DNS-1123 name, so tests sharing one server never collide.</summary>
    public static string Unique(string prefix) => $"{prefix}-{Guid.NewGuid():N}"[..(prefix.Length + 9)];
}
