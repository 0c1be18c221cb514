using System.Globalization;

namespace KvCluster.NodeAgent.Logs;

/// <summary>
/// The files of one container log. The current file is <c>x.log</c>; rotation renames it to
/// <c>x.log.20161006-001709.6697942</c> (UTC, to 100 ns), so rotated names sort in the order they were written
/// and keep their name until deleted (a reader holding one never sees it renamed again).
/// </summary>
public static class CriLogFiles
{
    private const string SuffixFormat = "yyyyMMdd-HHmmss.fffffff";

    /// <summary>The rotated files, oldest first, then the current one (when it exists).</summary>
    public static List<string> InOrder(string path)
    {
        var files = Rotated(path);
        if (File.Exists(path))
        {
            files.Add(path);
        }

        return files;
    }

    /// <summary>The rotated files, oldest first.</summary>
    public static List<string> Rotated(string path)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
        var name = Path.GetFileName(path) + ".";
        if (!Directory.Exists(dir))
        {
            return [];
        }

        // Simple matching: the default (Win32) semantics make "x.log.*" match "x.log" itself.
        var rotated = Directory.EnumerateFiles(dir, name + "*", new EnumerationOptions { MatchType = MatchType.Simple })
            .Where(f => IsSuffix(Path.GetFileName(f.AsSpan())[name.Length..]))
            .ToList();
        rotated.Sort(StringComparer.Ordinal);
        return rotated;
    }

    /// <summary>A new name for the current file, later than every rotated one (even if the clock went back).</summary>
    public static string NextRotatedName(string path, DateTimeOffset now)
    {
        var t = now.UtcDateTime;
        var last = Rotated(path).LastOrDefault();
        if (last is not null)
        {
            var lastTime = DateTime.ParseExact(last.AsSpan(last.Length - SuffixFormat.Length), SuffixFormat, CultureInfo.InvariantCulture);
            if (lastTime >= t)
            {
                t = lastTime.AddTicks(1);
            }
        }

        return path + "." + t.ToString(SuffixFormat, CultureInfo.InvariantCulture);
    }

    private static bool IsSuffix(ReadOnlySpan<char> s) =>
        s.Length == SuffixFormat.Length &&
        DateTime.TryParseExact(s, SuffixFormat, CultureInfo.InvariantCulture, DateTimeStyles.None, out _);
}
