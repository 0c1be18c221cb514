using System.Text;

namespace KvCluster.ApiServer.Storage;

internal static class Keys
{
    public static byte[] Bytes(string key) => Encoding.UTF8.GetBytes(key);

    public static string Text(byte[] key) => Encoding.UTF8.GetString(key);

    /// <summary>The end of the key range that holds every key starting with <paramref name="prefix"/> (etcd's --prefix).</summary>
    public static byte[] PrefixEnd(byte[] prefix)
    {
        var end = (byte[])prefix.Clone();
        for (var i = end.Length - 1; i >= 0; i--)
        {
            if (end[i] < 0xff)
            {
                end[i]++;
                return end[..(i + 1)];
            }
        }

        return [0];
    }
}
