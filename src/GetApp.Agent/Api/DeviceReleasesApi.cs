using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Api;

/// <summary>
/// The release status API: <c>GET /api/v2/device/releases/{catalog_id}</c> (the seed page) and the list of every
/// release in delivery or later. Offers (<c>offering</c>/<c>push</c>) are not releases of the device yet: 404 here.
/// </summary>
internal static class DeviceReleasesApi
{
    public static IEndpointRouteBuilder MapDeviceReleasesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v2/device/releases/{catalogId}", GetReleaseStatusAsync);
        app.MapGet("/api/v2/device/releases", ListReleasesAsync)
            .AddEndpointFilter((context, next) =>
                // Routing matches "/releases/" to the list; for a client that means "status of release ''", a mistake.
                context.HttpContext.Request.Path.Value!.EndsWith('/')
                    ? ValueTask.FromResult<object?>(ApiResults.BadRequest("invalid catalog id: the catalog id is empty"))
                    : next(context));
        return app;
    }

    internal static async Task<IResult> GetReleaseStatusAsync(string catalogId, ReleaseService releases, CancellationToken cancellationToken)
    {
        if (ApiResults.CheckCatalogId(catalogId) is { } invalid)
        {
            return invalid;
        }

        var release = await releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false);
        if (release is null)
        {
            return ApiResults.UnknownRelease(catalogId);
        }

        if (!IsOnDevice(release))
        {
            return ApiResults.NotFound($"release '{catalogId}' is only offered ({Wire.Of(release.State)}); start its delivery first");
        }

        return Results.Json(ReleaseStatusMapper.ToStatusDto(release, releases.Progress.Get(catalogId)), AgentJson.Context.DeviceReleaseStatusDto);
    }

    internal static async Task<IResult> ListReleasesAsync(ReleaseService releases, CancellationToken cancellationToken)
    {
        var all = await releases.ListAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<DeviceReleaseStatusDto> onDevice = all.Where(IsOnDevice)
            .Select(r => ReleaseStatusMapper.ToStatusDto(r, releases.Progress.Get(r.CatalogId)))
            .ToList();
        return Results.Json(onDevice, AgentJson.Context.IReadOnlyListDeviceReleaseStatusDto);
    }

    private static bool IsOnDevice(ReleaseRecord release) => release.State is not (ReleaseState.Offering or ReleaseState.Push);
}
