using System.Text.Json;
using System.Text.Json.Serialization;

namespace KvCluster.NodeAgent.Server;

/// <summary>
/// metav1.Status as the kubelet writes it: on the exec error channel (no kind/apiVersion, no code for an exit
/// code) and as an HTTP error body. Fields in metav1's order; empty ones left out (Go's omitempty).
/// </summary>
internal sealed record KubeletStatus
{
    [JsonPropertyName("kind")]
    public string? Kind { get; init; }

    [JsonPropertyName("apiVersion")]
    public string? ApiVersion { get; init; }

    [JsonPropertyName("metadata")]
    public Dictionary<string, string> Metadata { get; init; } = [];

    [JsonPropertyName("status")]
    public required string Status { get; init; }

    [JsonPropertyName("message")]
    public string? Message { get; init; }

    [JsonPropertyName("reason")]
    public string? Reason { get; init; }

    [JsonPropertyName("details")]
    public StatusDetails? Details { get; init; }

    [JsonPropertyName("code")]
    public int? Code { get; init; }

    internal sealed record StatusDetails([property: JsonPropertyName("causes")] IReadOnlyList<StatusCause> Causes);

    internal sealed record StatusCause(
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("message")] string Message);

    // Quotes as \" (not \u0022), as Go writes them.
    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static KubeletStatus Success() => new() { Status = "Success" };

    /// <summary>The exec'd command ended with a non-zero code: kubectl exits with that code.</summary>
    public static KubeletStatus NonZeroExit(IReadOnlyList<string> command, int code) => new()
    {
        Status = "Failure",
        Message = $"command terminated with non-zero exit code: error executing command [{string.Join(' ', command)}], exit code {code}",
        Reason = "NonZeroExitCode",
        Details = new StatusDetails([new StatusCause("ExitCode", code.ToString(System.Globalization.CultureInfo.InvariantCulture))]),
    };

    /// <summary>apierrors.NewInternalError(fmt.Errorf("error executing command in container: %v", err)).</summary>
    public static KubeletStatus ExecFailed(string runtimeMessage)
    {
        var err = $"error executing command in container: {runtimeMessage}";
        return new()
        {
            Status = "Failure",
            Message = $"Internal error occurred: {err}",
            Reason = "InternalError",
            Details = new StatusDetails([new StatusCause(null, err)]),
            Code = 500,
        };
    }

    public static KubeletStatus Unauthorized() => new()
    {
        Kind = "Status",
        ApiVersion = "v1",
        Status = "Failure",
        Message = "Unauthorized",
        Reason = "Unauthorized",
        Code = 401,
    };

    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static async Task WriteAsync(HttpContext ctx, KubeletStatus status)
    {
        ctx.Response.StatusCode = status.Code ?? 500;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.Body.WriteAsync(status.ToJson(), ctx.RequestAborted);
    }

    /// <summary>A plain-text error, as the kubelet's go-restful handlers write them.</summary>
    public static async Task WriteTextAsync(HttpContext ctx, int code, string message)
    {
        ctx.Response.StatusCode = code;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        await ctx.Response.WriteAsync(message, ctx.RequestAborted);
    }
}
