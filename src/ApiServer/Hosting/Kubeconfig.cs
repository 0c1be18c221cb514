using System.Security.Cryptography;
using System.Text;

namespace KvCluster.ApiServer.Hosting;

/// <summary>The admin credentials: a bearer token kept in the data dir, and the kubeconfig kubectl uses.</summary>
public static class Kubeconfig
{
    /// <summary>The admin token (generated once, then read back).</summary>
    public static string AdminToken(string dataDir)
    {
        var path = Path.Combine(dataDir, "admin.token");
        if (File.Exists(path))
        {
            return File.ReadAllText(path).Trim();
        }

        var token = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));
        File.WriteAllText(path, token);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        return token;
    }

    public static void Write(string path, string server, string token, string? caPem)
    {
        var cluster = caPem is null
            ? $"    server: {server}\n"
            : $"    server: {server}\n    certificate-authority-data: {Convert.ToBase64String(Encoding.UTF8.GetBytes(caPem))}\n";
        var text = "apiVersion: v1\nkind: Config\nclusters:\n- name: kvcluster\n  cluster:\n" + cluster +
                   $"users:\n- name: admin\n  user:\n    token: {token}\n" +
                   "contexts:\n- name: kvcluster\n  context:\n    cluster: kvcluster\n    user: admin\n    namespace: default\n" +
                   "current-context: kvcluster\npreferences: {}\n";
        var tmp = path + ".tmp";
        File.WriteAllText(tmp, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(tmp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(tmp, path, true);
    }
}
