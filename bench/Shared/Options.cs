using System.Globalization;

namespace KvCluster.Bench;

/// <summary>"--name value", "--name=value" and bare "--flag" arguments, shared by kvbench and apibench; apibench rejects flags nobody asked for.</summary>
internal sealed class Options
{
    private readonly Dictionary<string, string> _values = [];
    private readonly HashSet<string> _read = [];

    public static Options Parse(IEnumerable<string> args)
    {
        var o = new Options();
        string? pending = null;
        foreach (var a in args)
        {
            if (a.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null)
                {
                    o._values[pending] = "true";
                }

                var eq = a.IndexOf('=', StringComparison.Ordinal);
                if (eq > 0)
                {
                    o._values[a[2..eq]] = a[(eq + 1)..];
                    pending = null;
                }
                else
                {
                    pending = a[2..];
                }
            }
            else if (pending is not null)
            {
                o._values[pending] = a;
                pending = null;
            }
            else
            {
                throw new ArgumentException($"unexpected argument {a}");
            }
        }

        if (pending is not null)
        {
            o._values[pending] = "true";
        }

        return o;
    }

    public string Get(string name, string fallback)
    {
        _read.Add(name);
        return _values.TryGetValue(name, out var v) ? v : fallback;
    }

    public int Int(string name, int fallback)
    {
        var text = Get(name, "");
        if (text.Length == 0)
        {
            return fallback;
        }

        return int.TryParse(text.Replace("_", "", StringComparison.Ordinal), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0
            ? v
            : throw new ArgumentException($"--{name}: not a non-negative integer: {text}");
    }

    public double Double(string name, double fallback)
    {
        var text = Get(name, "");
        if (text.Length == 0)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new ArgumentException($"--{name}: not a positive number: {text}");
    }

    public bool Flag(string name) => Get(name, "false") != "false";

    /// <summary>Throws for a flag that no Get/Int/Flag call read (a typo, or a flag of another workload).</summary>
    public void RejectUnknown()
    {
        var unknown = _values.Keys.Where(k => !_read.Contains(k)).ToList();
        if (unknown.Count > 0)
        {
            throw new ArgumentException("unknown flag(s) for this workload: " + string.Join(", ", unknown.Select(k => "--" + k)));
        }
    }
}
