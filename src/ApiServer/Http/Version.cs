using System.Text.Json.Nodes;

namespace KvCluster.ApiServer.Http;

/// <summary>/version. kubectl picks its behaviour from the minor version, so KvCluster reports Kubernetes 1.32, the API it serves.</summary>
internal static class Version
{
    public const string GitVersion = "v1.32.0";

    public static JsonObject Document() => new()
    {
        ["major"] = "1",
        ["minor"] = "32",
        ["gitVersion"] = GitVersion,
        ["gitCommit"] = "kvcluster",
        ["gitTreeState"] = "clean",
        ["buildDate"] = "2026-11-25T00:00:00Z",
        ["goVersion"] = "dotnet" + Environment.Version,
        ["compiler"] = "dotnet",
        ["platform"] = "linux/amd64",
    };
}
