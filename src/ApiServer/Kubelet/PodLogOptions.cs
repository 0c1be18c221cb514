using System.Globalization;
using KvCluster.ApiServer.Registry;
using Microsoft.AspNetCore.Http;

namespace KvCluster.ApiServer.Kubelet;

/// <summary>
/// The query of pods/log (Kubernetes' PodLogOptions), read as kube-apiserver converts query
/// parameters, validated as ValidatePodLogOptions does, and passed on to the kubelet's /containerLogs.
/// insecureSkipTLSVerifyBackend is accepted and changes nothing: kubelets' certificates are never verified here.
/// </summary>
public sealed record PodLogOptions(string? Container, bool Follow, bool Previous, bool Timestamps, long? SinceSeconds, DateTimeOffset? SinceTime, long? TailLines, long? LimitBytes)
{
    public static PodLogOptions Parse(IQueryCollection q) => new(
        q["container"].ToString() is { Length: > 0 } c ? c : null,
        Bool(q, "follow"),
        Bool(q, "previous"),
        Bool(q, "timestamps"),
        Long(q, "sinceSeconds"),
        Time(q, "sinceTime"),
        Long(q, "tailLines"),
        Long(q, "limitBytes"));

    /// <summary>Go's query conversion of a bool: present and neither "0" nor "false" is true.</summary>
    public static bool Bool(IQueryCollection q, string name) =>
        q.TryGetValue(name, out var v) && v.Count > 0 && !(v[0] == "0" || string.Equals(v[0], "false", StringComparison.OrdinalIgnoreCase));

    private static long? Long(IQueryCollection q, string name)
    {
        if (!q.TryGetValue(name, out var v) || v.Count == 0)
        {
            return null;
        }

        return long.TryParse(v[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw ApiException.BadRequest($"strconv.ParseInt: parsing \"{v[0]}\": invalid syntax");
    }

    private static DateTimeOffset? Time(IQueryCollection q, string name)
    {
        if (q[name].FirstOrDefault() is not { Length: > 0 } text)
        {
            return null;
        }

        return DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t) && text.Contains('T', StringComparison.Ordinal)
            ? t
            : throw ApiException.BadRequest($"parsing time \"{text}\" as \"2006-01-02T15:04:05Z07:00\": cannot parse \"{text}\" as \"2006\"");
    }

    public List<FieldError> Validate()
    {
        var errors = new List<FieldError>();
        if (TailLines < 0)
        {
            errors.Add(Raw("tailLines", TailLines.Value, "must be greater than or equal to 0"));
        }

        if (LimitBytes < 1)
        {
            errors.Add(Raw("limitBytes", LimitBytes.Value, "must be greater than 0"));
        }

        if (SinceSeconds is not null && SinceTime is not null)
        {
            errors.Add(FieldError.Forbidden("", "at most one of `sinceTime` or `sinceSeconds` may be specified"));
        }
        else if (SinceSeconds < 1)
        {
            errors.Add(Raw("sinceSeconds", SinceSeconds.Value, "must be greater than 0"));
        }

        return errors;
    }

    private static FieldError Raw(string field, long value, string detail) =>
        FieldError.InvalidValue(field, value.ToString(CultureInfo.InvariantCulture), detail) with { RawValue = true };

    /// <summary>The kubelet's query, as kube-apiserver builds it: only what is set, keys sorted (Go's url.Values.Encode).</summary>
    public string KubeletQuery()
    {
        var p = new SortedDictionary<string, string>(StringComparer.Ordinal);
        if (Follow)
        {
            p["follow"] = "true";
        }

        if (LimitBytes is { } limit)
        {
            p["limitBytes"] = limit.ToString(CultureInfo.InvariantCulture);
        }

        if (Previous)
        {
            p["previous"] = "true";
        }

        if (SinceSeconds is { } seconds)
        {
            p["sinceSeconds"] = seconds.ToString(CultureInfo.InvariantCulture);
        }

        if (SinceTime is { } time)
        {
            p["sinceTime"] = time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        }

        if (TailLines is { } tail)
        {
            p["tailLines"] = tail.ToString(CultureInfo.InvariantCulture);
        }

        if (Timestamps)
        {
            p["timestamps"] = "true";
        }

        return string.Join('&', p.Select(kv => $"{kv.Key}={Uri.EscapeDataString(kv.Value)}"));
    }
}
