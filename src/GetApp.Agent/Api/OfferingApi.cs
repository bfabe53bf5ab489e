using System.Buffers;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Api;

/// <summary><c>GET /api/v2/device/offering</c>: what the upstream offers or pushes and this device has not delivered yet.</summary>
internal static class OfferingApi
{
    public static IEndpointRouteBuilder MapOfferingApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v2/device/offering", GetOfferingAsync);
        return app;
    }

    internal static async Task<IResult> GetOfferingAsync(ReleaseService releases, CancellationToken cancellationToken) =>
        new OfferingResult(OfferingItems.Of(await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false)));

    /// <summary>
    /// The offering written item by item from the rows (<see cref="OfferingItems"/>): nothing of it is kept, the rows'
    /// JSON is enough. Each item is rendered twice, once to know the length (the answer carries a <c>Content-Length</c>,
    /// as every JSON answer of the agent), once to write it; an item costs microseconds, holding them all MiBs.
    /// </summary>
    private sealed class OfferingResult(List<ReleaseRow> offers) : IResult
    {
        private const int FlushBytes = 64 * 1024;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using var items = new OfferingItems();
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = JsonBytesResult.ContentType;
            response.ContentLength = items.ArrayLength(offers);
            var body = response.BodyWriter;
            var unflushed = 1;
            body.Write("["u8);
            for (var i = 0; i < offers.Count; i++)
            {
                if (i > 0)
                {
                    body.Write(","u8);
                    unflushed++;
                }

                var item = items.Render(offers[i]);
                body.Write(item);
                unflushed += item.Length;
                if (unflushed >= FlushBytes)
                {
                    unflushed = 0;
                    var flushed = await body.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
                    if (flushed.IsCanceled || flushed.IsCompleted)
                    {
                        return;
                    }
                }
            }

            body.Write("]"u8);
            await body.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }
    }
}
