using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Fleet;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;

namespace GetApp.Agent.Api;

/// <summary>
/// The child registry, read in the shapes of GetApp's cdn group (docs/parent.md): one entry per device (this agent
/// first, <c>isSelf: true</c>, then its children by id), each with its <c>deviceId</c> and a <c>data</c> payload.
/// <c>?device_id=</c> may repeat to choose devices; the fleet's live state (docs/fleet.md) comes with each entry.
/// <c>GET /api/cdn/status</c> is this agent's addition: the registry, the fleet, the child cache and the children's
/// reports at a glance.
/// </summary>
internal static class CdnApi
{
    public static IEndpointRouteBuilder MapCdnApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cdn/device", DevicesAsync);
        app.MapGet("/api/cdn/device/offering", OfferingAsync);
        app.MapGet("/api/cdn/device/releases", ReleasesAsync);
        app.MapGet("/api/cdn/device/releases/{catalogId}", ReleaseAsync);
        app.MapGet("/api/cdn/status", StatusAsync);
        return app;
    }

    internal static async Task<IResult> DevicesAsync(HttpContext context, FleetView view, CancellationToken cancellationToken)
    {
        var query = context.Request.Query;
        var activity = query["filter"].ToString() switch
        {
            "" or "active" => ChildFilter.Active,
            "inactive" => ChildFilter.Inactive,
            "all" => ChildFilter.All,
            _ => (ChildFilter?)null,
        };
        if (activity is null)
        {
            return ApiResults.BadRequest("filter must be 'active', 'inactive' or 'all'");
        }

        var mode = query["mode"].ToString();
        if (mode is not ("" or "all" or "orchestrated" or "reactive" or "none"))
        {
            return ApiResults.BadRequest("mode must be 'orchestrated', 'reactive', 'none' or 'all'");
        }

        var connectivity = query["connectivity"].ToString();
        if (connectivity is not ("" or "all" or "online" or "offline"))
        {
            return ApiResults.BadRequest("connectivity must be 'online', 'offline' or 'all'");
        }

        bool? online = connectivity switch
        {
            "online" => true,
            "offline" => false,
            _ => null,
        };
        var orchestration = query["orchestration"].ToString();
        if (orchestration is not ("" or "pending" or "accepted" or "refused"))
        {
            return ApiResults.BadRequest("orchestration must be 'pending', 'accepted' or 'refused'");
        }

        var filter = new FleetFilter(activity.Value, mode is "" or "all" ? null : mode, online, orchestration.Length == 0 ? null : orchestration);
        return Results.Json(await view.DevicesAsync(DeviceIds(context), filter, cancellationToken).ConfigureAwait(false), AgentJson.Context.IReadOnlyListCdnDeviceDto);
    }

    internal static async Task<IResult> ReleasesAsync(HttpContext context, FleetView view, CancellationToken cancellationToken)
    {
        if (context.Request.Path.Value!.EndsWith('/'))
        {
            return ApiResults.BadRequest("invalid catalog id: the catalog id is empty");
        }

        return Results.Json(await view.DeviceReleasesAsync(DeviceIds(context), cancellationToken).ConfigureAwait(false), AgentJson.Context.IReadOnlyListCdnDeviceReleasesDto);
    }

    internal static async Task<IResult> ReleaseAsync(HttpContext context, string catalogId, FleetView view, CancellationToken cancellationToken)
    {
        if (ApiResults.CheckCatalogId(catalogId) is { } invalid)
        {
            return invalid;
        }

        // No device holding it is an empty list, not a 404 (as GetApp's route answers).
        return Results.Json(await view.ReleaseAsync(catalogId, DeviceIds(context), cancellationToken).ConfigureAwait(false), AgentJson.Context.IReadOnlyListCdnDeviceReleaseDto);
    }

    internal static async Task<IResult> OfferingAsync(HttpContext context, FleetView view, CancellationToken cancellationToken) =>
        Results.Json(await view.OfferingAsync(DeviceIds(context), cancellationToken).ConfigureAwait(false), AgentJson.Context.IReadOnlyListCdnDeviceOfferingDto);

    internal static async Task<IResult> StatusAsync(ChildRegistry registry, ChildCache cache, ChildReports reports, LiveSettings settings,
        ManagedChannels channels, FleetCommandStore commands, CancellationToken cancellationToken)
    {
        var children = await registry.ListAsync(null, ChildFilter.All, cancellationToken).ConfigureAwait(false);
        var cached = await cache.ListAsync(cancellationToken).ConfigureAwait(false);
        var (pending, dropped) = await reports.CountsAsync(cancellationToken).ConfigureAwait(false);
        var releases = new JsonArray();
        foreach (var release in cached)
        {
            releases.Add((JsonNode)new JsonObject
            {
                ["catalogId"] = release.CatalogId,
                ["requestedBy"] = release.RequestedBy,
                ["bytes"] = release.Bytes,
                ["childOnly"] = release.ChildOnly,
                ["evictable"] = release.Evictable,
                ["fetchedAt"] = UtcDateTimeOffsetConverter.ToWire(release.FetchedAt),
                ["lastUsedAt"] = UtcDateTimeOffsetConverter.ToWire(release.LastUsedAt),
            });
        }

        var body = new JsonObject
        {
            ["children"] = new JsonObject
            {
                ["total"] = children.Count,
                ["active"] = children.Count(registry.IsActive),
                ["online"] = channels.Count,
                ["orchestrated"] = children.Count(c => c.Mode == "orchestrated"),
                ["reactive"] = children.Count(c => c.Mode == "reactive"),
                ["awaitingApproval"] = children.Count(c => c.OrchestrateMe && c.Orchestration == "pending"),
                ["pendingCommands"] = (await commands.PendingCountsAsync(cancellationToken).ConfigureAwait(false)).Values.Sum(),
            },
            ["cache"] = new JsonObject
            {
                ["maxBytes"] = settings.Current.ParentCacheMaxBytes,
                ["childOnlyBytes"] = cached.Where(c => c.ChildOnly).Sum(c => c.Bytes),
                ["releases"] = releases,
            },
            ["reports"] = new JsonObject { ["pending"] = pending, ["dropped"] = dropped, ["max"] = settings.Current.ParentReportsMax },
        };
        return Results.Json(body, AgentJson.Context.JsonObject);
    }

    internal static string[]? DeviceIds(HttpContext context) =>
        context.Request.Query["device_id"] is { Count: > 0 } values ? [.. values.OfType<string>().Where(v => v.Length > 0)] : null;
}
