using System.Buffers;
using System.Text.Json;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Api;

/// <summary>
/// <c>GET /api/v2/device/releases</c>: every release on the device, written straight into the response from the rows of
/// one snapshot (<see cref="ReleaseStatusWriter"/>), byte for byte what the serializer writes for the list of DTOs. No
/// rendered copy of each release is kept (10,000 of them were 7 MiB held for good after the first list): the list
/// holds no more than a chunk of about <see cref="FlushBytes"/> beyond the read model. The length goes first (a
/// <c>Content-Length</c>, as before), from each row's measured length; only running releases, whose live progress
/// changes, are measured anew, with the values captured once for both passes.
/// </summary>
internal sealed class ReleaseListResult(ReleaseSnapshot snapshot, ReleaseProgressBoard progress) : IResult
{
    private const int FlushBytes = 64 * 1024;

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var live = new Dictionary<string, LiveProgress>(StringComparer.Ordinal);
        var length = Measure(live);
        var response = httpContext.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = JsonBytesResult.ContentType;
        response.ContentLength = length;

        var body = response.BodyWriter;
        await using var writer = new Utf8JsonWriter(body, ReleaseStatusWriter.WriterOptions);
        writer.WriteStartArray();
        long sent = 0;
        foreach (var row in snapshot)
        {
            if (!row.IsOnDevice)
            {
                continue;
            }

            Write(writer, row, live.TryGetValue(row.CatalogId, out var now) ? now : null);

            // Not BytesPending alone: the writer hands what it wrote to the pipe whenever it needs room.
            if (writer.BytesCommitted + writer.BytesPending - sent >= FlushBytes)
            {
                writer.Flush();
                sent = writer.BytesCommitted;
                var flushed = await body.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    return;
                }
            }
        }

        writer.WriteEndArray();
        writer.Flush();
        await body.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>The body's length; fills <paramref name="live"/> with the progress shown for the releases that run.</summary>
    private long Measure(Dictionary<string, LiveProgress> live)
    {
        var scratch = new ArrayBufferWriter<byte>(1024);
        using var measuring = new Utf8JsonWriter(scratch, ReleaseStatusWriter.WriterOptions);
        long length = 2;
        var count = 0;
        foreach (var row in snapshot)
        {
            if (!row.IsOnDevice)
            {
                continue;
            }

            count++;
            if (ReleaseStatusMapper.ShowsLiveProgress(row.Position) && progress.Get(row.CatalogId) is { } now)
            {
                live[row.CatalogId] = now;
                length += row.RenderedStatus(now)?.Length ?? ReleaseStatusWriter.Length(row, now, measuring, scratch);
            }
            else
            {
                length += row.RenderedStatus(null)?.Length ?? ReleaseStatusWriter.Length(row, null, measuring, scratch);
            }
        }

        return length + Math.Max(0, count - 1);
    }

    private static void Write(Utf8JsonWriter writer, ReleaseRow row, LiveProgress? live)
    {
        // A status someone asked for alone is kept rendered: copied, it costs less than writing it again.
        if (row.RenderedStatus(live) is { } rendered)
        {
            writer.WriteRawValue(rendered.Span, skipInputValidation: true);
        }
        else
        {
            ReleaseStatusWriter.Write(writer, row, live);
        }
    }
}
