using System.Globalization;
using System.Text;

namespace KvCluster.ApiServer.Protobuf;

/// <summary>Go's time.Duration.String(), which metav1.Duration uses as its JSON form ("1h0m0s", "1.5s", "300ms").</summary>
internal static class GoDuration
{
    public static string Format(long nanoseconds)
    {
        if (nanoseconds == 0)
        {
            return "0s";
        }

        // Work on the magnitude as unsigned so long.MinValue has one too.
        var negative = nanoseconds < 0;
        var u = negative ? (ulong)(-(nanoseconds + 1)) + 1 : (ulong)nanoseconds;
        var text = new StringBuilder();
        if (u < 1_000_000_000)
        {
            // Under a second Go picks the largest unit that keeps an integer part: ns, µs or ms.
            if (u < 1_000)
            {
                text.Append(u.ToString(CultureInfo.InvariantCulture)).Append("ns");
            }
            else if (u < 1_000_000)
            {
                AppendFraction(text, u, 3).Append("µs");
            }
            else
            {
                AppendFraction(text, u, 6).Append("ms");
            }
        }
        else
        {
            var seconds = u / 1_000_000_000;
            var minutes = seconds / 60;
            var hours = minutes / 60;
            if (hours > 0)
            {
                text.Append(hours.ToString(CultureInfo.InvariantCulture)).Append('h');
            }

            if (minutes > 0)
            {
                text.Append((minutes % 60).ToString(CultureInfo.InvariantCulture)).Append('m');
            }

            AppendFraction(text, (seconds % 60 * 1_000_000_000) + (u % 1_000_000_000), 9).Append('s');
        }

        return negative ? "-" + text : text.ToString();
    }

    /// <summary>value / 10^digits with its fraction, trailing zeros (and a bare point) dropped, as Go's fmtFrac.</summary>
    private static StringBuilder AppendFraction(StringBuilder text, ulong value, int digits)
    {
        ulong scale = 1;
        for (var i = 0; i < digits; i++)
        {
            scale *= 10;
        }

        text.Append((value / scale).ToString(CultureInfo.InvariantCulture));
        var fraction = (value % scale).ToString(CultureInfo.InvariantCulture).PadLeft(digits, '0').TrimEnd('0');
        if (fraction.Length > 0)
        {
            text.Append('.').Append(fraction);
        }

        return text;
    }
}
