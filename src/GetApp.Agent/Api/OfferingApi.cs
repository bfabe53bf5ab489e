using GetApp.Agent.Core.Releases;

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
        var offers = new List<ReadOnlyMemory<byte>>();
        foreach (var release in snapshot)
        {
            if (!release.IsOnDevice)
            {
                offers.Add(release.OfferingJson());
            }
        }

        return JsonBytesResult.Array(offers);
    }
}
