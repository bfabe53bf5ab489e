using System.Globalization;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.ErrorHandling;
using Microsoft.Win32.SafeHandles;

namespace GetApp.Agent.Api;

/// <summary>
/// The artifact route of the parent face: <c>GET</c>/<c>HEAD /api/cdn/artifacts/{catalogId}/{fileName}</c>, reached
/// through the signed URLs <c>prepareDelivery</c> hands to children (docs/parent.md). It serves the artifact files of the
/// releases this agent holds with <c>Range</c>/<c>If-Range</c>, a strong <c>ETag</c>, <c>Last-Modified</c> and
/// <c>Content-Length</c>. Every answer is read from one open handle: delivered files are never written in place (a new
/// version is a new file renamed over the old), so a file replaced or deleted while a child reads it keeps giving the
/// child the bytes it started with, and the ETag (from that handle's size and modification time) tells a resuming child
/// whether its bytes are still a prefix.
/// </summary>
internal static class ArtifactsApi
{
    /// <summary>How much is read from the file per write to the connection: large enough for few system calls, small enough to stay in cache.</summary>
    internal const int ChunkSize = 256 * 1024;

    public static IEndpointRouteBuilder MapArtifactsApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/api/cdn/artifacts/{catalogId}/{fileName}", [HttpMethods.Get, HttpMethods.Head], ServeAsync).WithMetadata(ParentRoute.SignedUrl);
        return app;
    }

    internal static async Task ServeAsync(HttpContext context, string catalogId, string fileName, ArtifactUrlSigner signer, ReleaseService releases, ChildCache cache)
    {
        var query = context.Request.Query;
        if (signer.Check(catalogId, fileName, query["expires"], query["signature"]) is { } refused)
        {
            await AppErrorMiddleware.WriteAsync(context, StatusCodes.Status403Forbidden, "Forbidden", refused).ConfigureAwait(false);
            return;
        }

        var release = await releases.FindAsync(catalogId, context.RequestAborted).ConfigureAwait(false);
        var artifact = release is null ? null : HeldArtifacts.Find(release, fileName);
        SafeFileHandle? handle = null;
        try
        {
            handle = artifact is null ? null : File.OpenHandle(artifact.Path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, FileOptions.SequentialScan);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
        }

        if (handle is null)
        {
            await AppErrorMiddleware.WriteAsync(context, StatusCodes.Status404NotFound, "NotFound",
                $"this agent does not hold '{fileName}' of '{catalogId}' (any more); prepare the delivery again").ConfigureAwait(false);
            return;
        }

        using (handle)
        using (cache.BeginServe(catalogId))
        {
            await cache.TouchAsync(catalogId, context.RequestAborted).ConfigureAwait(false);
            await SendAsync(context, handle).ConfigureAwait(false);
        }
    }

    private static async Task SendAsync(HttpContext context, SafeFileHandle handle)
    {
        var length = RandomAccess.GetLength(handle);
        var modified = new DateTimeOffset(File.GetLastWriteTimeUtc(handle), TimeSpan.Zero);
        var etag = $"\"{modified.UtcTicks.ToString("x", CultureInfo.InvariantCulture)}-{length.ToString("x", CultureInfo.InvariantCulture)}\"";
        var request = context.Request;
        var range = request.Method == HttpMethods.Get || request.Method == HttpMethods.Head
            ? ByteRange.Select(request.Headers.Range, request.Headers.IfRange, etag, modified, length)
            : new ByteRange(ByteRangeKind.Full, 0, length);

        var response = context.Response;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ETag = etag;
        response.Headers.LastModified = ByteRange.TruncateToSeconds(modified).ToString("r", CultureInfo.InvariantCulture);
        response.Headers.CacheControl = "no-transform";
        if (range.Kind == ByteRangeKind.Unsatisfiable)
        {
            // The AppError writer starts from a clean response: Content-Range is added as it starts.
            response.OnStarting(() =>
            {
                response.Headers.ContentRange = $"bytes */{length}";
                return Task.CompletedTask;
            });
            await AppErrorMiddleware.WriteAsync(context, StatusCodes.Status416RangeNotSatisfiable, "RangeNotSatisfiable",
                $"the range '{request.Headers.Range}' is outside the file ({length} bytes)").ConfigureAwait(false);
            return;
        }

        response.StatusCode = range.Kind == ByteRangeKind.Partial ? StatusCodes.Status206PartialContent : StatusCodes.Status200OK;
        response.ContentType = "application/octet-stream";
        response.ContentLength = range.Length;
        if (range.Kind == ByteRangeKind.Partial)
        {
            response.Headers.ContentRange = $"bytes {range.Start}-{range.Start + range.Length - 1}/{length}";
        }

        if (request.Method == HttpMethods.Head || range.Length == 0)
        {
            return;
        }

        await CopyAsync(context, handle, range.Start, range.Length).ConfigureAwait(false);
    }

    /// <summary>
    /// Reads the file straight into Kestrel's output buffers (no intermediate copy) and flushes as it goes, so memory
    /// stays flat and a slow child only holds back its own connection. Kestrel has no <c>sendfile</c>: its
    /// <c>SendFileAsync</c> copies through an extra buffer and opens the file by name (docs/parent.md).
    /// </summary>
    private static async Task CopyAsync(HttpContext context, SafeFileHandle handle, long offset, long count)
    {
        var writer = context.Response.BodyWriter;
        var cancellation = context.RequestAborted;
        try
        {
            while (count > 0)
            {
                var memory = writer.GetMemory((int)Math.Min(ChunkSize, count));
                var read = RandomAccess.Read(handle, memory.Span[..(int)Math.Min(memory.Length, count)], offset);
                if (read == 0)
                {
                    // Shorter than when the answer started: only an in-place truncation does that. Never send other bytes.
                    context.Abort();
                    return;
                }

                writer.Advance(read);
                offset += read;
                count -= read;
                var flushed = await writer.FlushAsync(cancellation).ConfigureAwait(false);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The child went away; it resumes with a Range.
        }
        catch (IOException)
        {
            // The disk failed mid-answer: the child sees a short body (Content-Length) and resumes.
            context.Abort();
        }
    }
}
