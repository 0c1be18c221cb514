using k8s;

namespace KvCluster.Shared;

/// <summary>Loads a server's --kubeconfig; a missing or malformed file is a flag error ("--kubeconfig PATH: cannot load it: …").</summary>
internal static class Kubeconfig
{
    public static KubernetesClientConfiguration Load(string path)
    {
        try
        {
            return KubernetesClientConfiguration.BuildConfigFromConfigFile(path);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The client library's own exceptions (even a NullReferenceException for an empty file).
            throw new ArgumentException($"--kubeconfig {path}: cannot load it: {e.Message}", e);
        }
    }
}
