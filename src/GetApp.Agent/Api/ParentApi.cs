using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Reporting;
using GetApp.Agent.Core.Upstream.GetAppServer;

namespace GetApp.Agent.Api;

/// <summary>
/// The parent face: the GetApp server's device routes, served to child agents whose upstream (<c>--upstream</c>,
/// <c>BASE_URL</c>) is this agent, with the server's request and answer shapes (docs/parent.md). A child uses them with
/// the same client it uses for a GetApp server.
/// </summary>
internal static class ParentApi
{
    private static readonly string[] ItemTypes = ["software", "cache"];

    public static IEndpointRouteBuilder MapParentApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/api/v2/device/discover/component", DiscoverAsync).WithMetadata(ParentRoute.ForChildren);
        app.MapPost("/api/v2/delivery/prepareDelivery", PrepareAsync).WithMetadata(ParentRoute.ForChildren);
        app.MapGet("/api/v2/delivery/preparedDelivery/{catalogId}", PreparedAsync).WithMetadata(ParentRoute.ForChildren);
        app.MapPost("/api/v2/delivery/updateDownloadStatus", (HttpContext context, ChildReports reports, CancellationToken ct) =>
            ReportAsync(context, ReportKind.Delivery, reports, ct)).WithMetadata(ParentRoute.ForChildren);
        app.MapPost("/api/v2/deploy/updateDeployStatus", (HttpContext context, ChildReports reports, CancellationToken ct) =>
            ReportAsync(context, ReportKind.Deploy, reports, ct)).WithMetadata(ParentRoute.ForChildren);
        return app;
    }

    internal static async Task<IResult> DiscoverAsync(HttpContext context, ChildDiscovery discovery, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var answer = await discovery.DiscoverAsync(body!, AddressOf(context), cancellationToken).ConfigureAwait(false);
        if (answer.Problems is { } problems)
        {
            return ApiResults.BadRequest($"invalid discovery message: {string.Join("; ", problems)}");
        }

        return Results.Json(answer.Body, Core.Contracts.AgentJson.Context.JsonNode, statusCode: answer.StatusCode);
    }

    internal static async Task<IResult> PrepareAsync(HttpContext context, ParentDeliveries deliveries, CancellationToken cancellationToken)
    {
        if (SourceOf(context) is not { } remote)
        {
            return ApiResults.BadRequest("source must be 'cache' or 'remote'");
        }

        var (body, error) = await JsonBody.ReadObjectAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var problems = new List<string>();
        var catalogId = Text(body!, "catalogId");
        var deviceId = Text(body!, "deviceId");
        if (catalogId is null)
        {
            problems.Add("catalogId must be a string");
        }
        else if (!CatalogIdRules.IsWellFormed(catalogId, out var problem))
        {
            problems.Add($"catalogId is not valid: {problem}");
        }

        if (deviceId is null)
        {
            problems.Add("deviceId must be a string");
        }

        if (Text(body!, "itemType") is not { } itemType || !ItemTypes.Contains(itemType))
        {
            problems.Add("itemType must be 'software' (or 'cache'): this parent delivers software releases");
        }

        if (problems.Count > 0)
        {
            return ApiResults.BadRequest($"invalid prepareDelivery request: {string.Join("; ", problems)}");
        }

        var answer = await deliveries.PrepareAsync(catalogId!, deviceId!, isPoll: false, remote, BaseUrlOf(context), cancellationToken).ConfigureAwait(false);
        return Results.Json(answer.Body!, GetAppServerJsonContext.Default.PrepareDeliveryResDto, statusCode: StatusCodes.Status201Created);
    }

    internal static async Task<IResult> PreparedAsync(HttpContext context, string catalogId, ParentDeliveries deliveries, CancellationToken cancellationToken)
    {
        if (ApiResults.CheckCatalogId(catalogId) is { } invalid)
        {
            return invalid;
        }

        if (SourceOf(context) is not { } remote)
        {
            return ApiResults.BadRequest("source must be 'cache' or 'remote'");
        }

        var answer = await deliveries.PrepareAsync(catalogId, "", isPoll: true, remote, BaseUrlOf(context), cancellationToken).ConfigureAwait(false);
        return answer.NotFound is { } missing
            ? ApiResults.NotFound(missing)
            : Results.Json(answer.Body!, GetAppServerJsonContext.Default.PrepareDeliveryResDto);
    }

    internal static async Task<IResult> ReportAsync(HttpContext context, ReportKind kind, ChildReports reports, CancellationToken cancellationToken)
    {
        var (body, error) = await JsonBody.ReadObjectAsync(context.Request, cancellationToken).ConfigureAwait(false);
        if (error is not null)
        {
            return error;
        }

        var problems = await reports.AcceptAsync(kind, body!, AddressOf(context), cancellationToken).ConfigureAwait(false);
        return problems is null
            ? Results.StatusCode(StatusCodes.Status201Created)
            : ApiResults.BadRequest($"invalid {(kind == ReportKind.Deploy ? "deploy" : "delivery")} status report: {string.Join("; ", problems)}");
    }

    /// <summary>This agent's address as the child reached it; the artifact URLs handed to the child are built on it.</summary>
    internal static string BaseUrlOf(HttpContext context) =>
        $"{context.Request.Scheme}://{context.Request.Host.Value}{context.Request.PathBase.Value}";

    private static string? AddressOf(HttpContext context) => context.Connection.RemoteIpAddress?.ToString();

    /// <summary>True for <c>source=remote</c>, false for <c>cache</c> or none, null for anything else.</summary>
    private static bool? SourceOf(HttpContext context) => context.Request.Query["source"].ToString() switch
    {
        "" or "cache" => false,
        "remote" => true,
        _ => null,
    };

    private static string? Text(JsonObject body, string name) =>
        body[name] is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() is { Length: > 0 } s ? s : null;
}
