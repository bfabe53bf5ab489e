using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace GetApp.Agent.Core.Upstream.GetAppServer;

// The GetApp server's device-facing DTOs (docs/getapp-server.md), with the server's own names and casing.
// Requests omit null fields (see GetAppServerJsonContext); answers are read leniently.

/// <summary><c>DiscoveryMessageV2Dto</c>, the body of <c>POST /api/v2/device/discover/component</c>.</summary>
public sealed record DiscoveryMessageV2Dto
{
    public required string Id { get; init; }
    public required string DiscoveryType { get; init; }
    public DateTimeOffset? SnapshotDate { get; init; }

    /// <summary>Comma-joined device-type tokens: one string, not an array (§9.10).</summary>
    public string? DeviceTypeToken { get; init; }

    public PlatformDiscoverDto? Platform { get; init; }

    /// <summary>Device facts as the discovery service reads them (name, OS, MAC, IP, storage): see <see cref="GeneralDiscovery"/>.</summary>
    public GeneralDiscoveryDto? General { get; init; }

    public DeviceDataDto? DeviceData { get; init; }
    public required DiscoverySoftwareV2Dto SoftwareData { get; init; }
    public IReadOnlyList<DeviceFieldDto>? SupportedFields { get; init; }
}

/// <summary><c>PlatformDiscoverDto</c>: <c>token</c> is required whenever <c>platform</c> is sent.</summary>
public sealed record PlatformDiscoverDto(string Token, string? PlatformId);

/// <summary><c>DeviceDataDto</c>: the agent's enrollment and metadata (metadata keeps any extra keys).</summary>
public sealed record DeviceDataDto
{
    public DateTimeOffset? SnapshotDate { get; init; }
    public string? DeviceId { get; init; }
    public IReadOnlyList<string>? DeviceType { get; init; }
    public string? PlatformId { get; init; }
    public string? Platform { get; init; }
    public IReadOnlyList<string>? UrlGetAppServerAvailable { get; init; }
    public string? DeliverySource { get; init; }
    public bool? OrchestrateMe { get; init; }
    public bool? ReactiveMode { get; init; }
    public JsonObject? Metadata { get; init; }
}

/// <summary><c>DiscoverySoftwareV2Dto</c>.</summary>
public sealed record DiscoverySoftwareV2Dto(IReadOnlyList<ComponentStateDto> Components);

/// <summary><c>ComponentStateDto</c>: every release the device holds, with its <c>DeviceComponentStateEnum</c> (lower-case).</summary>
public sealed record ComponentStateDto(string CatalogId, string State, string? Error);

/// <summary><c>DeviceFieldDto</c>: a field rules may use, in JSONPath form.</summary>
public sealed record DeviceFieldDto(string Name, string Type, string? Label = null, string? Description = null);

/// <summary><c>DeviceComponentsOfferingDto</c>, the discovery answer; only <c>releases</c> is used (offer/push are deprecated).</summary>
public sealed record DeviceComponentsOfferingDto
{
    public IReadOnlyList<OfferedRelease>? Releases { get; init; }
    public JsonArray? Restrictions { get; init; }
    public string? LatestConfigSemVer { get; init; }
    public IReadOnlyList<string>? ConfigDeviceIds { get; init; }
}

/// <summary><c>PrepareDeliveryReqDto</c>.</summary>
public sealed record PrepareDeliveryReqDto(string CatalogId, string DeviceId, string ItemType);

/// <summary><c>PrepareDeliveryResDto</c>: <c>status</c> is a <c>PrepareStatusEnum</c> (<c>start</c>, <c>inProgress</c>, <c>done</c>, <c>error</c>, <c>delete</c>, <c>pending</c>).</summary>
public sealed record PrepareDeliveryResDto
{
    public string? CatalogId { get; init; }
    public string? Status { get; init; }
    public double? Progress { get; init; }
    public double? Size { get; init; }
    public string? Url { get; init; }
    public IReadOnlyList<DeliveryItemDto>? Artifacts { get; init; }
    public ServerErrorDto? Error { get; init; }
}

/// <summary><c>DeliveryItemDto</c>: one artifact of a prepared delivery.</summary>
public sealed record DeliveryItemDto
{
    public string? CatalogId { get; init; }
    public JsonNode? Id { get; init; }
    public string? ItemKey { get; init; }
    public string? ArtifactType { get; init; }
    public string? Url { get; init; }
    public double? Size { get; init; }
    public ArtifactHash? Hash { get; init; }
    public string? Signature { get; init; }
    public bool? IsExecutable { get; init; }
    public string? Arguments { get; init; }
    public string? MetaData { get; init; }
}

/// <summary>The server's <c>{errorCode, message}</c> (e.g. <c>DELIVERY.downloadNotAvailable</c>).</summary>
public sealed record ServerErrorDto(string? ErrorCode, string? Message);

/// <summary><c>DeliveryStatusDto</c>, the body of <c>POST /api/v2/delivery/updateDownloadStatus</c>.</summary>
public sealed record DeliveryStatusDto
{
    public required string DeviceId { get; init; }
    public required string CatalogId { get; init; }
    public required string ItemKey { get; init; }

    /// <summary><c>DeliveryStatusEnum</c>: Start, Download, Done, Error, Pause, Continue, Cancelled, Deleted.</summary>
    public required string DeliveryStatus { get; init; }

    /// <summary>
    /// <c>DeliveryStateEnum</c>, the phase the report is about: Prepare, Download, Validation, Done. The newest server libs
    /// mark a release downloaded only on <c>Done</c> with state absent or <c>Done</c>.
    /// </summary>
    public string? State { get; init; }

    public required string Type { get; init; }
    public DateTimeOffset? DownloadStart { get; init; }
    public DateTimeOffset? DownloadStop { get; init; }
    public DateTimeOffset? DownloadDone { get; init; }
    public double? DownloadData { get; init; }

    /// <summary>Bytes of the release received so far; stored in a 32-bit column, so never above <see cref="int.MaxValue"/>.</summary>
    public int? BitNumber { get; init; }

    public double? DownloadSpeed { get; init; }

    /// <summary>Milliseconds left; stored in a 32-bit column, so never above <see cref="int.MaxValue"/> (24.8 days).</summary>
    public int? DownloadEstimateTime { get; init; }
    public required DateTimeOffset CurrentTime { get; init; }
}

/// <summary><c>DeployStatusDto</c>, the body of <c>POST /api/v2/deploy/updateDeployStatus</c> (it has no message field).</summary>
public sealed record DeployStatusDto
{
    public required string DeviceId { get; init; }
    public required string CatalogId { get; init; }

    /// <summary><c>DeployStatusEnum</c>: Start, Installing, Done, Error, Pause, Continue, Cancelled, Uninstall.</summary>
    public required string DeployStatus { get; init; }

    public required string Type { get; init; }
    public DateTimeOffset? DeployStart { get; init; }
    public DateTimeOffset? DeployStop { get; init; }
    public DateTimeOffset? DeployDone { get; init; }
    /// <summary>Milliseconds left; a 32-bit column like <see cref="DeliveryStatusDto.DownloadEstimateTime"/>.</summary>
    public int? DeployEstimateTime { get; init; }
    public int? Progress { get; init; }
    public required DateTimeOffset CurrentTime { get; init; }
}

/// <summary>Wire values of the server enums this agent sends.</summary>
public static class ServerWire
{
    public const string DiscoveryTypeGetApp = "get-app";
    public const string ItemTypeSoftware = "software";
}
