using GetApp.Agent.Core.Contracts;
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
        var all = await releases.ListAsync(cancellationToken).ConfigureAwait(false);
        return Results.Json(OfferingList.Of(all), AgentJson.Context.IReadOnlyListOfferingItemDto);
    }
}
