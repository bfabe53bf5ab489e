using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Contracts;

// The answers of GetApp's cdn group (/api/cdn/device...): one entry per device, the parent itself first (isSelf).

/// <summary>
/// <c>GET /api/cdn/device</c>: the device's <c>DeviceDataV2</c> (enrollment and metadata) in <see cref="Data"/>; this
/// agent adds where and when it last heard from the device and whether it counts as active.
/// </summary>
public sealed record CdnDeviceDto(
    JsonObject Data,
    string DeviceId,
    bool IsSelf,
    string? Address,
    DateTimeOffset? FirstSeenAt,
    DateTimeOffset? LastSeenAt,
    bool Active);

/// <summary><c>GET /api/cdn/device/releases</c>: the device's releases, each a <c>DeviceReleaseStatusDto</c>.</summary>
public sealed record CdnDeviceReleasesDto(IReadOnlyList<DeviceReleaseStatusDto> Data, string DeviceId, bool IsSelf);

/// <summary><c>GET /api/cdn/device/releases/{catalog_id}</c>: one release on one device.</summary>
public sealed record CdnDeviceReleaseDto(DeviceReleaseStatusDto Data, string DeviceId, bool IsSelf);
