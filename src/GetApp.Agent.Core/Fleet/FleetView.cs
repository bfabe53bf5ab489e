using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Fleet;

/// <summary>Which devices a fleet read returns, beyond the active filter (docs/fleet.md): by mode, connectivity, orchestration.</summary>
public sealed record FleetFilter(ChildFilter Activity = ChildFilter.Active, string? Mode = null, bool? Online = null, string? Orchestration = null)
{
    public bool Accepts(CdnDeviceDto device) =>
        (Mode is null || device.Mode == Mode)
        && (Online is null || device.Online == Online)
        && (Orchestration is null || device.Orchestration == Orchestration);
}

/// <summary>
/// One view of every device (docs/parent.md, docs/fleet.md): this agent and its children in GetApp's cdn shapes, with
/// the fleet's live state (online, mode, commands waiting, transfers' speed and ETA). The cdn routes and the fleet event
/// stream are both built here.
/// </summary>
public sealed class FleetView(
    ChildRegistry registry,
    DeviceService device,
    ReleaseService releases,
    FleetCommandStore commands,
    ManagedChannels channels,
    FleetPushes pushes)
{
    /// <summary>How many of a device's latest commands its fleet entry carries.</summary>
    public const int RecentCommands = 10;

    /// <summary><c>GET /api/cdn/device</c>: this agent first (unless filtered out), then its children by id.</summary>
    public async Task<IReadOnlyList<CdnDeviceDto>> DevicesAsync(IReadOnlyCollection<string>? ids, FleetFilter filter, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(filter);
        var list = new List<CdnDeviceDto>();
        if (filter.Activity != ChildFilter.Inactive && Wanted(ids, device.DeviceId))
        {
            var self = await SelfAsync(cancellationToken).ConfigureAwait(false);
            if (filter.Accepts(self))
            {
                list.Add(self);
            }
        }

        var pending = await commands.PendingCountsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var child in await registry.ListAsync(ids, filter.Activity, cancellationToken).ConfigureAwait(false))
        {
            if (child.DeviceId != device.DeviceId && Child(child, pending) is var dto && filter.Accepts(dto))
            {
                list.Add(dto);
            }
        }

        return list;
    }

    /// <summary><c>GET /api/cdn/device/releases</c>: every device's releases (delivered or later), with those moving now.</summary>
    public async Task<IReadOnlyList<CdnDeviceReleasesDto>> DeviceReleasesAsync(IReadOnlyCollection<string>? ids, CancellationToken cancellationToken)
    {
        var list = new List<CdnDeviceReleasesDto>();
        if (Wanted(ids, device.DeviceId))
        {
            var (own, transfers) = await OwnReleasesAsync(cancellationToken).ConfigureAwait(false);
            list.Add(new CdnDeviceReleasesDto(own, device.DeviceId, true, true, transfers));
        }

        var byDevice = (await registry.ReleasesAsync(ids, null, cancellationToken).ConfigureAwait(false)).ToLookup(r => r.DeviceId, StringComparer.Ordinal);
        var offered = await ReleaseObjectsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var child in await registry.ListAsync(ids, ChildFilter.All, cancellationToken).ConfigureAwait(false))
        {
            if (child.DeviceId != device.DeviceId)
            {
                var (data, transfers) = ChildReleases(byDevice[child.DeviceId], offered, child);
                list.Add(new CdnDeviceReleasesDto(data, child.DeviceId, false, channels.IsOnline(child.DeviceId), transfers));
            }
        }

        return list;
    }

    /// <summary><c>GET /api/cdn/device/releases/{catalogId}</c>: the release on every device holding it (empty when none).</summary>
    public async Task<IReadOnlyList<CdnDeviceReleaseDto>> ReleaseAsync(string catalogId, IReadOnlyCollection<string>? ids, CancellationToken cancellationToken)
    {
        var list = new List<CdnDeviceReleaseDto>();
        if (Wanted(ids, device.DeviceId)
            && await releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false) is { State: not (ReleaseState.Offering or ReleaseState.Push) } own)
        {
            var live = releases.Progress.Get(catalogId);
            list.Add(new CdnDeviceReleaseDto(ReleaseStatusMapper.ToStatusDto(own, live), device.DeviceId, true, true,
                own.State == ReleaseState.Delivery ? live?.Transfer?.BytesPerSecond : null, own.UpdatedAt));
        }

        var children = (await registry.ListAsync(ids, ChildFilter.All, cancellationToken).ConfigureAwait(false)).ToDictionary(c => c.DeviceId, StringComparer.Ordinal);
        var offered = await ReleaseObjectsAsync(cancellationToken).ConfigureAwait(false);
        foreach (var release in await registry.ReleasesAsync(ids, catalogId, cancellationToken).ConfigureAwait(false))
        {
            if (release.DeviceId != device.DeviceId && children.TryGetValue(release.DeviceId, out var child))
            {
                list.Add(new CdnDeviceReleaseDto(View(offered, release, child), release.DeviceId, false, channels.IsOnline(release.DeviceId), release.Speed, release.UpdatedAt));
            }
        }

        return list;
    }

    /// <summary>
    /// <c>GET /api/cdn/device/offering</c>: what each device is offered or pushed and has not taken yet — this agent's own
    /// offering; for a child, the last offering relayed to it with what was pushed to it, less what it holds.
    /// </summary>
    public async Task<IReadOnlyList<CdnDeviceOfferingDto>> OfferingAsync(IReadOnlyCollection<string>? ids, CancellationToken cancellationToken)
    {
        var list = new List<CdnDeviceOfferingDto>();
        if (Wanted(ids, device.DeviceId))
        {
            list.Add(new CdnDeviceOfferingDto(OfferingList.Of(await releases.ListAsync(cancellationToken).ConfigureAwait(false)), device.DeviceId, true));
        }

        var byDevice = (await registry.ReleasesAsync(ids, null, cancellationToken).ConfigureAwait(false)).ToLookup(r => r.DeviceId, StringComparer.Ordinal);
        foreach (var child in await registry.ListAsync(ids, ChildFilter.All, cancellationToken).ConfigureAwait(false))
        {
            if (child.DeviceId == device.DeviceId)
            {
                continue;
            }

            var offering = await registry.FindOfferingAsync(child.DeviceId, cancellationToken).ConfigureAwait(false) ?? new JsonObject { ["releases"] = new JsonArray() };
            offering = await pushes.MergeAsync(child.DeviceId, offering, cancellationToken).ConfigureAwait(false);
            var held = byDevice[child.DeviceId].Where(r => r.State is not ("offering" or "push")).Select(r => r.CatalogId).ToHashSet(StringComparer.Ordinal);
            list.Add(new CdnDeviceOfferingDto(OfferingItems(offering, held), child.DeviceId, false));
        }

        return list;
    }

    /// <summary>Every child's fleet entry, by id.</summary>
    public async Task<IReadOnlyList<FleetDeviceDto>> FleetAsync(CancellationToken cancellationToken)
    {
        var list = new List<FleetDeviceDto>();
        foreach (var child in await registry.ListAsync(null, ChildFilter.All, cancellationToken).ConfigureAwait(false))
        {
            if (child.DeviceId != device.DeviceId)
            {
                list.Add(await EntryAsync(child, cancellationToken).ConfigureAwait(false));
            }
        }

        return list;
    }

    /// <summary>One child's fleet entry: the device, its releases and transfers, its latest commands; <c>removed</c> when unknown.</summary>
    public async Task<FleetDeviceDto> FleetDeviceAsync(string deviceId, CancellationToken cancellationToken) =>
        await registry.FindAsync(deviceId, cancellationToken).ConfigureAwait(false) is { } child
            ? await EntryAsync(child, cancellationToken).ConfigureAwait(false)
            : new FleetDeviceDto(deviceId, true, null, [], [], []);

    private async Task<FleetDeviceDto> EntryAsync(ChildDevice child, CancellationToken cancellationToken)
    {
        var recent = await commands.ListAsync([child.DeviceId], null, RecentCommands, cancellationToken).ConfigureAwait(false);
        var pending = recent.Count(c => c.Status is FleetCommandStatus.Pending or FleetCommandStatus.Sent);
        if (pending == RecentCommands)
        {
            pending = (await commands.PendingCountsAsync(cancellationToken).ConfigureAwait(false)).GetValueOrDefault(child.DeviceId);
        }

        var held = await registry.ReleasesAsync([child.DeviceId], null, cancellationToken).ConfigureAwait(false);
        var (data, transfers) = ChildReleases(held, await ReleaseObjectsOfAsync(child.DeviceId, held, cancellationToken).ConfigureAwait(false), child);
        return new FleetDeviceDto(child.DeviceId, false, Child(child, new Dictionary<string, int> { [child.DeviceId] = pending }), data, transfers,
            [.. recent.Select(FleetCommandDto.From)]);
    }

    /// <summary>Release objects by id, to describe a child's releases: as offered to children, else as this agent knows them (a push).</summary>
    private async Task<IReadOnlyDictionary<string, JsonObject>> ReleaseObjectsAsync(CancellationToken cancellationToken)
    {
        var objects = new Dictionary<string, JsonObject>(await registry.OfferedReleasesAsync(cancellationToken).ConfigureAwait(false), StringComparer.Ordinal);
        foreach (var release in await releases.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            objects.TryAdd(release.CatalogId, release.Release);
        }

        return objects;
    }

    /// <summary>
    /// Release objects for one child's releases only (the fleet stream rebuilds one child at a time): from the offering
    /// relayed to it and what was pushed to it, else from this agent's own store; never every child's offering.
    /// </summary>
    private async Task<IReadOnlyDictionary<string, JsonObject>> ReleaseObjectsOfAsync(string deviceId, IReadOnlyList<ChildRelease> held, CancellationToken cancellationToken)
    {
        var objects = new Dictionary<string, JsonObject>(StringComparer.Ordinal);
        if (held.Count == 0)
        {
            return objects;
        }

        var offering = await registry.FindOfferingAsync(deviceId, cancellationToken).ConfigureAwait(false) ?? [];
        offering = await pushes.MergeAsync(deviceId, offering, cancellationToken).ConfigureAwait(false);
        foreach (var entry in offering["releases"] as JsonArray ?? [])
        {
            if (entry is JsonObject e && e["release"] is JsonObject release && release["id"] is JsonValue v && v.TryGetValue<string>(out var id))
            {
                objects.TryAdd(id, release);
            }
        }

        foreach (var release in held.Where(r => !objects.ContainsKey(r.CatalogId)))
        {
            if (await releases.FindAsync(release.CatalogId, cancellationToken).ConfigureAwait(false) is { } own)
            {
                objects[release.CatalogId] = own.Release;
            }
        }

        return objects;
    }

    private async Task<CdnDeviceDto> SelfAsync(CancellationToken cancellationToken)
    {
        var enrollment = await device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false);
        var self = JsonSerializer.SerializeToNode(enrollment, AgentJson.Context.DeviceEnrollment)!.AsObject();
        self["metadata"] = await device.GetMetadataAsync(cancellationToken).ConfigureAwait(false);
        return new CdnDeviceDto(self, device.DeviceId, true, null, null, null, true, Online: true,
            Mode: enrollment.OrchestratedBy is not null ? "orchestrated" : "none", OrchestrateMe: enrollment.OrchestrateMe, ReactiveMode: enrollment.ReactiveMode);
    }

    private CdnDeviceDto Child(ChildDevice child, IReadOnlyDictionary<string, int> pending)
    {
        var data = child.DeviceData?.DeepClone() as JsonObject ?? [];
        data["deviceId"] ??= child.DeviceId;
        data["deviceType"] ??= new JsonArray([.. child.DeviceType.Select(t => (JsonNode?)JsonValue.Create(t))]);
        data["platform"] ??= child.Platform;
        data["platformId"] ??= child.PlatformId;
        return new CdnDeviceDto(data, child.DeviceId, false, child.Address, child.FirstSeenAt, child.LastSeenAt, registry.IsActive(child),
            channels.IsOnline(child.DeviceId), child.Mode, child.Orchestration, child.OrchestrateMe, child.ReactiveMode, child.ConnectedAt, child.DisconnectedAt,
            pending.GetValueOrDefault(child.DeviceId));
    }

    private async Task<(IReadOnlyList<DeviceReleaseStatusDto> Data, IReadOnlyList<CdnTransferDto> Transfers)> OwnReleasesAsync(CancellationToken cancellationToken)
    {
        var data = new List<DeviceReleaseStatusDto>();
        var transfers = new List<CdnTransferDto>();
        foreach (var release in await releases.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (release.State is ReleaseState.Offering or ReleaseState.Push)
            {
                continue;
            }

            var live = releases.Progress.Get(release.CatalogId);
            var status = ReleaseStatusMapper.ToStatusDto(release, live);
            data.Add(status);
            if (IsMoving(status))
            {
                transfers.Add(new CdnTransferDto(release.CatalogId, status.Progress, release.State == ReleaseState.Delivery ? live?.Transfer?.BytesPerSecond : null, status.Eta));
            }
        }

        return (data, transfers);
    }

    private static (IReadOnlyList<DeviceReleaseStatusDto> Data, IReadOnlyList<CdnTransferDto> Transfers) ChildReleases(
        IEnumerable<ChildRelease> held, IReadOnlyDictionary<string, JsonObject> offered, ChildDevice child)
    {
        var data = new List<DeviceReleaseStatusDto>();
        var transfers = new List<CdnTransferDto>();
        foreach (var release in held)
        {
            var status = View(offered, release, child);
            data.Add(status);
            if (IsMoving(status))
            {
                transfers.Add(new CdnTransferDto(release.CatalogId, status.Progress, release.Speed, release.Eta));
            }
        }

        return (data, transfers);
    }

    /// <summary>A download or an install running now (not paused, failed or cancelled).</summary>
    private static bool IsMoving(DeviceReleaseStatusDto status) =>
        status.State is ReleaseState.Delivery or ReleaseState.Deploy && status.DeviceReleaseStatus is "Start" or "InProgress" or "Installing" or "Continue";

    private static IReadOnlyList<OfferingItemDto> OfferingItems(JsonObject offering, IReadOnlySet<string> held)
    {
        var entries = (offering["releases"] as JsonArray ?? []).OfType<JsonObject>()
            .Where(e => e["release"] is JsonObject r && r["id"] is JsonValue v && v.TryGetValue<string>(out _))
            .ToList();
        var ids = entries.Select(e => e["release"]!["id"]!.GetValue<string>()).ToHashSet(StringComparer.Ordinal);
        var items = new List<OfferingItemDto>();
        foreach (var entry in entries)
        {
            var id = entry["release"]!["id"]!.GetValue<string>();
            if (held.Contains(id))
            {
                continue;
            }

            var isPush = entry["isPush"] is JsonValue p && p.TryGetValue<bool>(out var b) && b;
            // Edges come as dependedOnBy: the dependencies of R are the entries naming R there.
            var dependencies = entries.Where(d => (d["dependedOnBy"] as JsonArray ?? []).Any(x => x is JsonValue v && v.TryGetValue<string>(out var s) && s == id))
                .Select(d => d["release"]!["id"]!.GetValue<string>()).Where(ids.Contains).Order(StringComparer.Ordinal).ToList();
            items.Add(new OfferingItemDto((JsonObject)entry["release"]!.DeepClone(), isPush, isPush ? ReleaseState.Push : ReleaseState.Offering, dependencies));
        }

        return items;
    }

    private static DeviceReleaseStatusDto View(IReadOnlyDictionary<string, JsonObject> offered, ChildRelease release, ChildDevice child) =>
        ChildReleaseView.ToStatusDto(release, offered.GetValueOrDefault(release.CatalogId), child.FirstSeenAt);

    private static bool Wanted(IReadOnlyCollection<string>? ids, string deviceId) => ids is not { Count: > 0 } || ids.Contains(deviceId);
}
