using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Api;

/// <summary>
/// The release status API: <c>GET /api/v2/device/releases/{catalog_id}</c> (the seed page) and the list of every
/// release in delivery or later. Offers (<c>offering</c>/<c>push</c>) are not releases of the device yet: 404 here.
/// Both answer from the read model, never the database: the single status from the JSON of the release rendered once
/// per committed change, the list written from the rows as it goes (<see cref="ReleaseListResult"/>).
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

        var release = (await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false)).Find(catalogId);
        if (release is null)
        {
            return ApiResults.UnknownRelease(catalogId);
        }

        if (!release.IsOnDevice)
        {
            return ApiResults.NotFound($"release '{catalogId}' is only offered ({Wire.Of(release.State)}); start its delivery first");
        }

        return JsonBytesResult.Document(release.StatusJson(releases.Progress.Get(catalogId)));
    }

    internal static async Task<IResult> ListReleasesAsync(ReleaseService releases, CancellationToken cancellationToken)
    {
        return new ReleaseListResult(await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false), releases.Progress);
    }
}
