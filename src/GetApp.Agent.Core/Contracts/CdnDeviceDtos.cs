using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Contracts;

// The answers of GetApp's cdn group (/api/cdn/device...): one entry per device, the parent itself first (isSelf).

/// <summary>
/// <c>GET /api/cdn/device</c>: the device's <c>DeviceDataV2</c> (enrollment and metadata) in <see cref="Data"/>; this
/// agent adds where and when it last heard from the device and whether it counts as active.
/// The fleet fields (docs/fleet.md): <see cref="Online"/> = its command channel is open now (this agent itself: true);
/// <see cref="Mode"/> <c>orchestrated</c>, <c>reactive</c> or <c>none</c>; <see cref="Orchestration"/> the operator's
/// decision on its request (<c>pending</c>, <c>accepted</c>, <c>refused</c>, null: never asked); the commands waiting for it.
/// </summary>
public sealed record CdnDeviceDto(
    JsonObject Data,
    string DeviceId,
    bool IsSelf,
    string? Address,
    DateTimeOffset? FirstSeenAt,
    DateTimeOffset? LastSeenAt,
    bool Active,
    bool Online = false,
    string Mode = "none",
    string? Orchestration = null,
    bool OrchestrateMe = false,
    bool ReactiveMode = false,
    DateTimeOffset? ConnectedAt = null,
    DateTimeOffset? DisconnectedAt = null,
    int PendingCommands = 0);

/// <summary>
/// <c>GET /api/cdn/device/releases</c>: the device's releases, each a <c>DeviceReleaseStatusDto</c>; <see cref="Transfers"/>
/// lists those moving now, with their speed.
/// </summary>
public sealed record CdnDeviceReleasesDto(IReadOnlyList<DeviceReleaseStatusDto> Data, string DeviceId, bool IsSelf, bool Online = false,
    IReadOnlyList<CdnTransferDto>? Transfers = null);

/// <summary><c>GET /api/cdn/device/releases/{catalog_id}</c>: one release on one device, with its speed while it moves (bytes/s).</summary>
public sealed record CdnDeviceReleaseDto(DeviceReleaseStatusDto Data, string DeviceId, bool IsSelf, bool Online = false, double? Speed = null,
    DateTimeOffset? UpdatedAt = null);

/// <summary>A release moving on a device now: its progress (%), speed (bytes/s, while downloading) and ETA (s).</summary>
public sealed record CdnTransferDto(string CatalogId, double? Progress, double? Speed, long? Eta);

/// <summary><c>GET /api/cdn/device/offering</c>: what is offered or pushed to the device and not delivered there yet.</summary>
public sealed record CdnDeviceOfferingDto(IReadOnlyList<OfferingItemDto> Data, string DeviceId, bool IsSelf);
