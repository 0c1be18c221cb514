using System.Buffers;
using System.Text.Json;
using System.Text.Json.Nodes;
using KvCluster.ApiServer.Registry;
using KvCluster.ApiServer.Storage;
using Microsoft.AspNetCore.Http;

namespace KvCluster.ApiServer.Http;

internal sealed partial class ResourceHandler
{
    /// <summary>
    /// A watch: one JSON object per line ({"type":…,"object":…}), flushed per event, until the client
    /// goes, timeoutSeconds passes, or the server falls behind this client (it then resumes from the
    /// last resourceVersion it saw, as with kube-apiserver).
    /// </summary>
    private async Task WatchAsync(HttpContext ctx, ResourceStore store, string? ns, ListOptions options)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ctx.RequestAborted);
        timeout.CancelAfter(options.Timeout ?? TimeSpan.FromMinutes(30));
        var ct = timeout.Token;
        IAsyncEnumerable<IReadOnlyList<WatchEvent>> events;
        try
        {
            events = await store.WatchAsync(ns, options, ct);
        }
        catch (ApiException e) when (e.Code == 410)
        {
            // As kube-apiserver: a watch that starts too far back gets one ERROR event, not an HTTP error.
            ctx.Response.StatusCode = 200;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.Body.WriteAsync(Line("ERROR", e.ToStatus()), ct);
            return;
        }

        var tableVersion = Tables.Requested(ctx.Request.Headers.Accept);
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = "application/json";
        await ctx.Response.StartAsync(ct);

        // Headers go out now, not with the first event: clients wait for them before they count a watch as started.
        await ctx.Response.Body.FlushAsync(ct);
        try
        {
            await foreach (var batch in events.WithCancellation(ct))
            {
                foreach (var e in batch)
                {
                    byte[] line;
                    if (tableVersion is not null && e.Type != WatchEventType.Bookmark)
                    {
                        line = Line(TypeName(e.Type), tables.Build(store.Kind, [e.Object], tableVersion, ctx.Request.Query["includeObject"], new JsonObject { ["resourceVersion"] = e.Object["metadata"]?["resourceVersion"]?.DeepClone() }));
                    }
                    else
                    {
                        // Plain events are encoded once for all the watches that send them.
                        line = e.Shared?.Encoded(e.Type, (t, served) => RawLine(TypeName(t), served)) ?? Line(TypeName(e.Type), e.Object);
                    }

                    // Into the response pipe without a flush (a stream write would flush each line).
                    ctx.Response.BodyWriter.Write(line);
                }

                await ctx.Response.BodyWriter.FlushAsync(ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // Timeout or client gone: the watch simply ends.
        }
    }

    /// <summary>One event line. The object may be shared with the watch cache, so it is only read here.</summary>
    private static byte[] Line(string type, JsonObject obj)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WritePropertyName("object");
            obj.WriteTo(w);
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>One event line around an object's served JSON.</summary>
    private static byte[] RawLine(string type, byte[] served)
    {
        var buffer = new ArrayBufferWriter<byte>(served.Length + 40);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", type);
            w.WritePropertyName("object");
            w.WriteRawValue(served, skipInputValidation: true);
            w.WriteEndObject();
        }

        buffer.Write("\n"u8);
        return buffer.WrittenSpan.ToArray();
    }

    private static string TypeName(WatchEventType t) => t switch
    {
        WatchEventType.Added => "ADDED",
        WatchEventType.Modified => "MODIFIED",
        WatchEventType.Deleted => "DELETED",
        _ => "BOOKMARK",
    };
}
