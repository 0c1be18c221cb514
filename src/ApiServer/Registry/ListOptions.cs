namespace KvCluster.ApiServer.Registry;

/// <summary>A list or watch request's query (metav1.ListOptions).</summary>
public sealed record ListOptions
{
    public LabelSelector Labels { get; init; } = LabelSelector.Everything;

    public FieldSelector Fields { get; init; } = FieldSelector.Everything;

    /// <summary>"" = most recent (a consistent read), "0" = any (from the cache), else a revision.</summary>
    public string ResourceVersion { get; init; } = "";

    /// <summary>"", "Exact" or "NotOlderThan".</summary>
    public string ResourceVersionMatch { get; init; } = "";

    public long Limit { get; init; }

    public string? Continue { get; init; }

    public bool AllowWatchBookmarks { get; init; }

    public TimeSpan? Timeout { get; init; }
}

/// <summary>One page of a list: the objects, the revision it was read at, and where the next page starts.</summary>
public sealed record ListPage(long Revision, IReadOnlyList<System.Text.Json.Nodes.JsonObject> Items, string? Continue, long? RemainingItemCount)
{
    /// <summary>
    /// The items as served JSON, when the page was read from the store unfiltered and the caller asked
    /// for raw items (then <see cref="Items"/> is empty): written out without building objects.
    /// </summary>
    public IReadOnlyList<byte[]>? Raw { get; init; }
}
