using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;
using GetApp.Agent.Hosting;

namespace GetApp.Agent.Api;

/// <summary>
/// The release status API: <c>GET /api/v2/device/releases/{catalog_id}</c> (the seed page) and the list of every
/// release in delivery or later. Offers (<c>offering</c>/<c>push</c>) are not releases of the device yet: 404 here.
/// Both answer from the read model, not the database: the single status from the JSON of the release rendered once per
/// committed change, the list written from the rows as it goes (<see cref="ReleaseListResult"/>). One exception: while
/// the agent starts, the single status of a release the start leaves as it is (<see cref="AnswerWhileStarting"/>) is
/// answered at once, read from the database if the rows are not loaded yet.
/// </summary>
internal static class DeviceReleasesApi
{
    public static IEndpointRouteBuilder MapDeviceReleasesApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v2/device/releases/{catalogId}", GetReleaseStatusAsync).WithMetadata(StartGate.NotHeld);
        app.MapGet("/api/v2/device/releases", ListReleasesAsync)
            .AddEndpointFilter((context, next) =>
                // Routing matches "/releases/" to the list; for a client that means "status of release ''", a mistake.
                context.HttpContext.Request.Path.Value!.EndsWith('/')
                    ? ValueTask.FromResult<object?>(ApiResults.BadRequest("invalid catalog id: the catalog id is empty"))
                    : next(context));
        return app;
    }

    internal static async Task<IResult> GetReleaseStatusAsync(string catalogId, ReleaseService releases, StartGate gate, CancellationToken cancellationToken)
    {
        if (ApiResults.CheckCatalogId(catalogId) is { } invalid)
        {
            return invalid;
        }

        if (!gate.IsOpen)
        {
            // The start is still running (the read model loading, recovery, the engines): a release it cannot change is
            // answered now, from the database if need be (with thousands of releases the load is most of the start);
            // any other waits for the start to end, as every other request does.
            if (await releases.FindStoredAsync(catalogId, cancellationToken).ConfigureAwait(false) is { } stored && AnswerWhileStarting(stored))
            {
                return JsonBytesResult.Document(stored.StatusJson(releases.Progress.Get(catalogId)));
            }

            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
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

    /// <summary>
    /// A release the start leaves as it is: delivered, installed or uninstalled. Recovery changes releases left installing,
    /// uninstalling (their deploy records), delivering or cancelling; the engines start pushed offers. Nothing that
    /// starts with the agent moves a delivered release before the start is over (auto-deploy resumes after it).
    /// </summary>
    internal static bool AnswerWhileStarting(ReleaseRow row) => row.State is ReleaseState.Downloaded or ReleaseState.Installed or ReleaseState.Uninstalled;

    internal static async Task<IResult> ListReleasesAsync(ReleaseService releases, CancellationToken cancellationToken)
    {
        return new ReleaseListResult(await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false), releases.Progress);
    }
}
