using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Api;

/// <summary>
/// Delivery control: start, pause, resume, cancel, delete. Each answers with the release's status; an unknown id is 404,
/// a move the lifecycle does not allow from where the release is is 409 (nothing changes then).
/// </summary>
internal static class DeliveryApi
{
    public static IEndpointRouteBuilder MapDeliveryApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v2/delivery/start/{catalogId}", (string catalogId, DeliveryEngine engine, ReleaseService releases, CancellationToken ct) =>
            ControlAsync(catalogId, engine.StartDeliveryAsync, releases, ct));
        app.MapPost("/api/v2/delivery/pause/{catalogId}", (string catalogId, DeliveryEngine engine, ReleaseService releases, CancellationToken ct) =>
            ControlAsync(catalogId, engine.PauseDeliveryAsync, releases, ct));
        app.MapPost("/api/v2/delivery/resume/{catalogId}", (string catalogId, DeliveryEngine engine, ReleaseService releases, CancellationToken ct) =>
            ControlAsync(catalogId, engine.ResumeDeliveryAsync, releases, ct));
        app.MapPost("/api/v2/delivery/cancel/{catalogId}", (string catalogId, DeliveryEngine engine, ReleaseService releases, CancellationToken ct) =>
            ControlAsync(catalogId, engine.CancelDeliveryAsync, releases, ct));
        app.MapDelete("/api/v2/delivery/{catalogId}", (string catalogId, DeliveryEngine engine, ReleaseService releases, CancellationToken ct) =>
            ControlAsync(catalogId, engine.DeleteDeliveryAsync, releases, ct));
        return app;
    }

    private static async Task<IResult> ControlAsync(string catalogId, Func<string, CancellationToken, Task<MoveResult>> action, ReleaseService releases, CancellationToken cancellationToken)
    {
        if (ApiResults.CheckCatalogId(catalogId) is { } invalid)
        {
            return invalid;
        }

        var result = await action(catalogId, cancellationToken).ConfigureAwait(false);
        return ApiResults.FromMove(result, releases.Progress);
    }
}
