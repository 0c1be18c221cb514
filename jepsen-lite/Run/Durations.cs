using System.Globalization;

namespace KvCluster.JepsenLite.Run;

/// <summary>Durations as Go writes them on command lines: 90s, 5m, 1m30s, 500ms (a bare number is seconds).</summary>
public static class Durations
{
    public static TimeSpan Parse(string text)
    {
        if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        var total = TimeSpan.Zero;
        var i = 0;
        while (i < text.Length)
        {
            var start = i;
            while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '.'))
            {
                i++;
            }

            var unitStart = i;
            while (i < text.Length && char.IsLetter(text[i]))
            {
                i++;
            }

            if (start == unitStart || !double.TryParse(text[start..unitStart], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
            {
                throw new ArgumentException($"invalid duration \"{text}\"");
            }

            total += text[unitStart..i] switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                var u => throw new ArgumentException($"invalid duration \"{text}\": unknown unit \"{u}\""),
            };
        }

        return total;
    }
}

/// <summary>The nemesis names accepted by --nemesis.</summary>
public static class Nemeses
{
    public static string Check(string name) =>
        Nemesis.FaultInjector.Kinds.Contains(name) ? name : throw new ArgumentException($"--nemesis {name}: one of {string.Join(", ", Nemesis.FaultInjector.Kinds)}, or none");
}

/// <summary>The repository's root: the nearest directory above the binary (or the working directory) holding KvCluster.sln.</summary>
public static class Repo
{
    public static string Root()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var d = new DirectoryInfo(start); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "KvCluster.sln")))
                {
                    return d.FullName;
                }
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
