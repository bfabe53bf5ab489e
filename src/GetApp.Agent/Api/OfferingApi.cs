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

    internal static async Task<IResult> GetOfferingAsync(ReleaseService releases, CancellationToken cancellationToken)
    {
        var snapshot = await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        return new OfferingResult(snapshot, OfferingItems.Of(snapshot));
    }

    /// <summary>
    /// The offering written item by item from the rows (<see cref="OfferingItems"/>): nothing of it is kept, the rows'
    /// JSON is enough. The answer carries a <c>Content-Length</c>, as every JSON answer of the agent: the first read of a
    /// snapshot renders every item once to know it, and the length is kept with that snapshot (rows never change; a
    /// write makes a new snapshot), so reading the offering again costs one pass. An item costs microseconds, holding
    /// them all MiBs.
    /// </summary>
    private sealed class OfferingResult(ReleaseSnapshot snapshot, List<ReleaseRow> offers) : IResult
    {
        private static LengthOf? s_last;

        public async Task ExecuteAsync(HttpContext httpContext)
        {
            using var items = new OfferingItems();
            var response = httpContext.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = JsonBytesResult.ContentType;
            if (Volatile.Read(ref s_last) is not { } last || !last.Snapshot.TryGetTarget(out var known) || !ReferenceEquals(known, snapshot))
            {
                Volatile.Write(ref s_last, last = new LengthOf(new WeakReference<ReleaseSnapshot>(snapshot), items.ArrayLength(offers)));
            }

            response.ContentLength = last.Length;
            var array = new JsonArrayBody(response.BodyWriter);
            array.Start();
            foreach (var offer in offers)
            {
                if (array.Add(items.Render(offer)) && !await array.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false))
                {
                    return;
                }
            }

            array.End();
            await array.FlushAsync(httpContext.RequestAborted).ConfigureAwait(false);
        }

        /// <summary>
        /// The length of the last snapshot's offering read. Weakly: a snapshot replaced by a write (after a discovery,
        /// thousands of rows) must not be kept for this.
        /// </summary>
        private sealed record LengthOf(WeakReference<ReleaseSnapshot> Snapshot, long Length);
    }
}
