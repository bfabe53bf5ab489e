using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Deploy;

namespace GetApp.Agent.Api;

/// <summary>Deploy control: start, third-party installer reports, status, uninstall.</summary>
internal static class DeployApi
{
    public static IEndpointRouteBuilder MapDeployApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v2/deploy/start/{catalogId}", StartAsync);
        app.MapPut("/api/v2/deploy/{catalogId}", ReportAsync);
        app.MapGet("/api/v2/deploy/{catalogId}", GetAsync);
        app.MapPost("/api/v2/deploy/uninstall/{catalogId}", UninstallAsync);
        return app;
    }

    internal static async Task<IResult> StartAsync(string catalogId, DeployEngine engine, CancellationToken cancellationToken) =>
        ApiResults.CheckCatalogId(catalogId) ?? ToResult(await engine.StartAsync(catalogId, cancellationToken).ConfigureAwait(false));

    internal static async Task<IResult> ReportAsync(string catalogId, HttpRequest request, DeployEngine engine, CancellationToken cancellationToken)
    {
        if (ApiResults.CheckCatalogId(catalogId) is { } invalid)
        {
            return invalid;
        }

        var (body, error) = await JsonBody.ReadAsync(request, AgentJson.Context.DeployMessageDto, cancellationToken).ConfigureAwait(false);
        return error ?? ToResult(await engine.ReportAsync(catalogId, body!, cancellationToken).ConfigureAwait(false));
    }

    internal static async Task<IResult> GetAsync(string catalogId, DeployView view, CancellationToken cancellationToken) =>
        ApiResults.CheckCatalogId(catalogId) ?? ToResult(await view.GetAsync(catalogId, cancellationToken).ConfigureAwait(false));

    internal static async Task<IResult> UninstallAsync(string catalogId, ReleaseUninstaller uninstaller, CancellationToken cancellationToken) =>
        ApiResults.CheckCatalogId(catalogId) ?? ToResult(await uninstaller.UninstallAsync(catalogId, cancellationToken).ConfigureAwait(false));

    private static IResult ToResult(DeployResult result) => result.Kind switch
    {
        DeployResultKind.Ok => Results.Json(result.Deploy!, AgentJson.Context.DeployDto),
        DeployResultKind.NotFound => ApiResults.NotFound(result.Message),
        DeployResultKind.BadRequest => ApiResults.BadRequest(result.Message),
        _ => ApiResults.Conflict(result.Message),
    };
}
