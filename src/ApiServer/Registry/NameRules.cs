using System.Text.RegularExpressions;

namespace KvCluster.ApiServer.Registry;

/// <summary>Kubernetes' name rules (apimachinery validation), with its exact messages.</summary>
public static partial class NameRules
{
    private const string LabelPattern = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
    private const string SubdomainPattern = LabelPattern + "(\\." + LabelPattern + ")*";

    [GeneratedRegex("^" + LabelPattern + "$")]
    private static partial Regex Label();

    [GeneratedRegex("^" + SubdomainPattern + "$")]
    private static partial Regex Subdomain();

    [GeneratedRegex("^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")]
    private static partial Regex QualifiedNamePart();

    /// <summary>Why <paramref name="name"/> is not a DNS-1123 label, or null when it is one.</summary>
    public static string? CheckLabel(string name)
    {
        if (name.Length > 63)
        {
            return "must be no more than 63 characters";
        }

        return Label().IsMatch(name)
            ? null
            : $"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '{LabelPattern}')";
    }

    /// <summary>Why <paramref name="name"/> is not a DNS-1123 subdomain, or null when it is one.</summary>
    public static string? CheckSubdomain(string name)
    {
        if (name.Length > 253)
        {
            return "must be no more than 253 characters";
        }

        return Subdomain().IsMatch(name)
            ? null
            : $"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '{SubdomainPattern}')";
    }

    /// <summary>Why a label key ([prefix/]name) is invalid, or null.</summary>
    public static string? CheckLabelKey(string key)
    {
        var slash = key.IndexOf('/');
        var name = slash < 0 ? key : key[(slash + 1)..];
        if (slash >= 0 && CheckSubdomain(key[..slash]) is { } prefixError)
        {
            return "prefix part " + prefixError;
        }

        if (name.Length == 0 || name.Length > 63 || !QualifiedNamePart().IsMatch(name))
        {
            return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
        }

        return null;
    }

    /// <summary>Why a label value is invalid, or null (empty is valid).</summary>
    public static string? CheckLabelValue(string value) =>
        value.Length == 0 || (value.Length <= 63 && QualifiedNamePart().IsMatch(value))
            ? null
            : "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    private const string GenerateChars = "bcdfghjklmnpqrstvwxz2456789";

    /// <summary>generateName plus five random characters, as Kubernetes' SimpleNameGenerator does.</summary>
    public static string Generate(string prefix)
    {
        if (prefix.Length > 58)
        {
            prefix = prefix[..58];
        }

        Span<char> tail = stackalloc char[5];
        for (var i = 0; i < tail.Length; i++)
        {
            tail[i] = GenerateChars[Random.Shared.Next(GenerateChars.Length)];
        }

        return prefix + new string(tail);
    }
}
