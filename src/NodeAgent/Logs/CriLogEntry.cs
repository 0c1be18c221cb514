using System.Globalization;
using System.Text;

namespace KvCluster.NodeAgent.Logs;

public enum LogStream : byte
{
    Stdout,
    Stderr,
}

/// <summary>
/// One record of a CRI log file, e.g. <c>2016-10-06T00:17:09.669794202Z stdout F the line</c>: the time it was read
/// from the container, its stream, and whether it ends a line (F) or is a fragment of a longer one (P).
/// </summary>
public readonly record struct CriLogEntry(DateTimeOffset Time, LogStream Stream, bool Partial, ReadOnlyMemory<byte> Content)
{
    /// <summary>Above this a line is split into P fragments (the kubelet's and containerd's 16 KiB).</summary>
    public const int MaxLineBytes = 16 * 1024;

    /// <summary>RFC 3339 in UTC with nanoseconds, fixed width (as CRI-O writes it; Go's parser accepts any width).</summary>
    public static string FormatTime(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff", CultureInfo.InvariantCulture) + "00Z";

    /// <summary>The record without its trailing newline.</summary>
    public byte[] Encode()
    {
        var head = Encoding.ASCII.GetBytes($"{FormatTime(Time)} {(Stream == LogStream.Stdout ? "stdout" : "stderr")} {(Partial ? 'P' : 'F')} ");
        var record = new byte[head.Length + Content.Length + 1];
        head.CopyTo(record, 0);
        Content.Span.CopyTo(record.AsSpan(head.Length));
        record[^1] = (byte)'\n';
        return record;
    }

    /// <summary>Parses one record (without its newline); false when it is not CRI format.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out CriLogEntry entry)
    {
        entry = default;
        int s1 = line.IndexOf((byte)' ');
        if (s1 < 0 || !TryParseTime(line[..s1], out var time))
        {
            return false;
        }

        var rest = line[(s1 + 1)..];
        int s2 = rest.IndexOf((byte)' ');
        if (s2 < 0)
        {
            return false;
        }

        LogStream stream;
        if (rest[..s2].SequenceEqual("stdout"u8))
        {
            stream = LogStream.Stdout;
        }
        else if (rest[..s2].SequenceEqual("stderr"u8))
        {
            stream = LogStream.Stderr;
        }
        else
        {
            return false;
        }

        rest = rest[(s2 + 1)..];
        int s3 = rest.IndexOf((byte)' ');
        var tags = s3 < 0 ? rest : rest[..s3];

        // Tags are ':'-separated; the first is P or F (older writers have none: a full line).
        bool partial = tags.Length > 0 && tags[0] == (byte)'P';
        var content = s3 < 0 ? ReadOnlySpan<byte>.Empty : rest[(s3 + 1)..];
        entry = new CriLogEntry(time, stream, partial, content.ToArray());
        return true;
    }

    private static bool TryParseTime(ReadOnlySpan<byte> text, out DateTimeOffset time)
    {
        // .NET keeps 7 fraction digits: cut nanoseconds to 100 ns before parsing.
        Span<char> chars = stackalloc char[40];
        time = default;
        if (text.Length > chars.Length || !Ascii.IsValid(text))
        {
            return false;
        }

        int n = Encoding.ASCII.GetChars(text, chars);
        var s = chars[..n];
        int dot = s.IndexOf('.');
        if (dot >= 0)
        {
            int end = dot + 1;
            while (end < s.Length && char.IsAsciiDigit(s[end]))
            {
                end++;
            }

            if (end - dot - 1 > 7)
            {
                var cut = new string(s[..(dot + 8)]) + new string(s[end..]);
                return DateTimeOffset.TryParse(cut, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out time);
            }
        }

        return DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal, out time);
    }
}
