using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;

namespace GetApp.Agent.Api;

/// <summary>
/// The child registry, read in the shapes of GetApp's cdn group (docs/parent.md): one entry per device (this agent
/// first, <c>isSelf: true</c>, then its children by id), each with its <c>deviceId</c> and a <c>data</c> payload.
/// <c>?device_id=</c> may repeat to choose devices. <c>GET /api/cdn/status</c> is this agent's addition: the registry,
/// the child cache and the children's reports at a glance.
/// </summary>
internal static class CdnApi
{
    public static IEndpointRouteBuilder MapCdnApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/cdn/device", DevicesAsync);
        app.MapGet("/api/cdn/device/releases", ReleasesAsync);
        app.MapGet("/api/cdn/device/releases/{catalogId}", ReleaseAsync);
        app.MapGet("/api/cdn/status", StatusAsync);
        return app;
    }

    internal static async Task<IResult> DevicesAsync(HttpContext context, ChildRegistry registry, DeviceService device, CancellationToken cancellationToken)
    {
        var filter = context.Request.Query["filter"].ToString() switch
        {
            "" or "active" => ChildFilter.Active,
            "inactive" => ChildFilter.Inactive,
            "all" => ChildFilter.All,
            _ => (ChildFilter?)null,
        };
        if (filter is null)
        {
            return ApiResults.BadRequest("filter must be 'active', 'inactive' or 'all'");
        }

        var ids = DeviceIds(context);
        var list = new List<CdnDeviceDto>();
        if (filter != ChildFilter.Inactive && Wanted(ids, device.DeviceId))
        {
            var self = JsonSerializer.SerializeToNode(await device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false), AgentJson.Context.DeviceEnrollment)!.AsObject();
            self["metadata"] = await device.GetMetadataAsync(cancellationToken).ConfigureAwait(false);
            list.Add(new CdnDeviceDto(self, device.DeviceId, true, null, null, null, true));
        }

        foreach (var child in await registry.ListAsync(ids, filter.Value, cancellationToken).ConfigureAwait(false))
        {
            if (child.DeviceId == device.DeviceId)
            {
                continue;
            }

            var data = child.DeviceData?.DeepClone() as JsonObject ?? [];
            data["deviceId"] ??= child.DeviceId;
            data["deviceType"] ??= new JsonArray([.. child.DeviceType.Select(t => (JsonNode?)JsonValue.Create(t))]);
            data["platform"] ??= child.Platform;
            data["platformId"] ??= child.PlatformId;
            list.Add(new CdnDeviceDto(data, child.DeviceId, false, child.Address, child.FirstSeenAt, child.LastSeenAt, registry.IsActive(child)));
        }

        return Results.Json<IReadOnlyList<CdnDeviceDto>>(list, AgentJson.Context.IReadOnlyListCdnDeviceDto);
    }

    internal static async Task<IResult> ReleasesAsync(HttpContext context, ChildRegistry registry, DeviceService device, ReleaseService releases, CancellationToken cancellationToken)
    {
        if (context.Request.Path.Value!.EndsWith('/'))
        {
            return ApiResults.BadRequest("invalid catalog id: the catalog id is empty");
        }

        var ids = DeviceIds(context);
        var list = new List<CdnDeviceReleasesDto>();
        if (Wanted(ids, device.DeviceId))
        {
            var own = (await releases.ListAsync(cancellationToken).ConfigureAwait(false))
                .Where(r => r.State is not (ReleaseState.Offering or ReleaseState.Push))
                .Select(r => ReleaseStatusMapper.ToStatusDto(r, releases.Progress.Get(r.CatalogId)))
                .ToList();
            list.Add(new CdnDeviceReleasesDto(own, device.DeviceId, true));
        }

        var children = await registry.ListAsync(ids, ChildFilter.All, cancellationToken).ConfigureAwait(false);
        var byDevice = (await registry.ReleasesAsync(ids, null, cancellationToken).ConfigureAwait(false)).ToLookup(r => r.DeviceId, StringComparer.Ordinal);
        var offered = await registry.OfferedReleasesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var child in children.Where(c => c.DeviceId != device.DeviceId))
        {
            list.Add(new CdnDeviceReleasesDto([.. byDevice[child.DeviceId].Select(r => View(offered, r, child))], child.DeviceId, false));
        }

        return Results.Json<IReadOnlyList<CdnDeviceReleasesDto>>(list, AgentJson.Context.IReadOnlyListCdnDeviceReleasesDto);
    }

    internal static async Task<IResult> ReleaseAsync(HttpContext context, string catalogId, ChildRegistry registry, DeviceService device, ReleaseService releases, CancellationToken cancellationToken)
    {
        if (ApiResults.CheckCatalogId(catalogId) is { } invalid)
        {
            return invalid;
        }

        var ids = DeviceIds(context);
        var list = new List<CdnDeviceReleaseDto>();
        if (Wanted(ids, device.DeviceId)
            && await releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false) is { State: not (ReleaseState.Offering or ReleaseState.Push) } own)
        {
            list.Add(new CdnDeviceReleaseDto(ReleaseStatusMapper.ToStatusDto(own, releases.Progress.Get(catalogId)), device.DeviceId, true));
        }

        var children = (await registry.ListAsync(ids, ChildFilter.All, cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.DeviceId, StringComparer.Ordinal);
        var offered = await registry.OfferedReleasesAsync(cancellationToken).ConfigureAwait(false);
        foreach (var release in await registry.ReleasesAsync(ids, catalogId, cancellationToken).ConfigureAwait(false))
        {
            if (release.DeviceId != device.DeviceId && children.TryGetValue(release.DeviceId, out var child))
            {
                list.Add(new CdnDeviceReleaseDto(View(offered, release, child), release.DeviceId, false));
            }
        }

        // No device holding it is an empty list, not a 404 (as GetApp's route answers).
        return Results.Json<IReadOnlyList<CdnDeviceReleaseDto>>(list, AgentJson.Context.IReadOnlyListCdnDeviceReleaseDto);
    }

    internal static async Task<IResult> StatusAsync(ChildRegistry registry, ChildCache cache, ChildReports reports, LiveSettings settings, CancellationToken cancellationToken)
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
            ["children"] = new JsonObject { ["total"] = children.Count, ["active"] = children.Count(registry.IsActive) },
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

    private static DeviceReleaseStatusDto View(IReadOnlyDictionary<string, JsonObject> offered, ChildRelease release, ChildDevice child) =>
        ChildReleaseView.ToStatusDto(release, offered.GetValueOrDefault(release.CatalogId), child.FirstSeenAt);

    private static string[]? DeviceIds(HttpContext context) =>
        context.Request.Query["device_id"] is { Count: > 0 } values ? [.. values.OfType<string>().Where(v => v.Length > 0)] : null;

    private static bool Wanted(string[]? ids, string deviceId) => ids is not { Length: > 0 } || ids.Contains(deviceId);
}
