namespace KvCluster.Shared;

/// <summary>One command-line flag: its name, and its value read on demand (after '=', else the next argument).</summary>
internal sealed class Flag(string name, string? inline, Func<string?> next)
{
    public string Name => name;

    /// <summary>True when the value was given after '=' (--plain-http=false); a boolean flag alone means true.</summary>
    public bool HasInlineValue => inline is not null;

    public string Value() => inline ?? next() ?? throw new ArgumentException($"flag needs an argument: --{name}");

    /// <summary>A Go duration, as Kubernetes' flags take them: "500ms", "10s", "1m", "1h".</summary>
    public TimeSpan Duration()
    {
        var text = Value();
        var unit = text.EndsWith("ms", StringComparison.Ordinal) ? "ms" : text.Length > 0 ? text[^1..] : "";
        return double.TryParse(text[..^unit.Length], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= 0
            ? unit switch
            {
                "ms" => TimeSpan.FromMilliseconds(value),
                "s" => TimeSpan.FromSeconds(value),
                "m" => TimeSpan.FromMinutes(value),
                "h" => TimeSpan.FromHours(value),
                _ => throw Invalid(text),
            }
            : throw Invalid(text);
    }

    private ArgumentException Invalid(string text) => new($"invalid value \"{text}\" for --{name}: want a duration such as 500ms, 10s, 1m");
}

/// <summary>
/// The flag syntax every KvCluster server takes, Go's as etcd and Kubernetes take it: --name value or
/// --name=value. Errors are ArgumentExceptions in Go's words, which the programs print and exit 2 on.
/// </summary>
internal static class Flags
{
    public static void Parse(IReadOnlyList<string> args, Action<Flag> apply)
    {
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException($"unexpected argument \"{arg}\"");
            }

            var eq = arg.IndexOf('=');
            apply(new Flag(eq > 0 ? arg[2..eq] : arg[2..], eq > 0 ? arg[(eq + 1)..] : null, () => i + 1 < args.Count ? args[++i] : null));
        }
    }
}
