namespace KvCluster.NodeAgent.Images;

/// <summary>
/// An image name normalized as Docker and containerd do: "busybox" is docker.io/library/busybox:latest,
/// "me/app:1" is docker.io/me/app:1, a first part with a dot, a colon or "localhost" is a registry host.
/// </summary>
public readonly record struct ImageReference(string Registry, string Repository, string? Tag, string? Digest)
{
    public static ImageReference Parse(string name)
    {
        if (string.IsNullOrWhiteSpace(name) || name != name.Trim() || name.Any(char.IsUpper))
        {
            throw new FormatException($"couldn't parse image name \"{name}\": invalid reference format");
        }

        string? digest = null;
        var at = name.IndexOf('@');
        if (at >= 0)
        {
            digest = name[(at + 1)..];
            name = name[..at];
        }

        string? tag = null;
        var colon = name.LastIndexOf(':');
        if (colon > name.LastIndexOf('/'))
        {
            tag = name[(colon + 1)..];
            name = name[..colon];
        }

        var slash = name.IndexOf('/');
        var first = slash < 0 ? null : name[..slash];
        var (registry, repository) = first is not null && (first.Contains('.') || first.Contains(':') || first == "localhost")
            ? (first, name[(slash + 1)..])
            : ("docker.io", slash < 0 ? "library/" + name : name);
        if (repository.Length == 0 || tag is "" || digest is "")
        {
            throw new FormatException($"couldn't parse image name \"{name}\": invalid reference format");
        }

        return new(registry, repository, tag ?? (digest is null ? "latest" : null), digest);
    }

    public override string ToString() => $"{Registry}/{Repository}{(Tag is null ? "" : ":" + Tag)}{(Digest is null ? "" : "@" + Digest)}";
}
