using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// The one JSON contract of the agent, generated at compile time (no reflection, Native AOT safe): camelCase names,
/// nulls written (GetApp clients expect nullable fields to be present), dates in UTC.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(UtcDateTimeOffsetConverter)])]
[JsonSerializable(typeof(DeviceReleaseStatusDto))]
[JsonSerializable(typeof(IReadOnlyList<DeviceReleaseStatusDto>))]
[JsonSerializable(typeof(AppError))]
[JsonSerializable(typeof(OfferingItemDto))]
[JsonSerializable(typeof(IReadOnlyList<OfferingItemDto>))]
[JsonSerializable(typeof(DiscoveryResponseDto))]
[JsonSerializable(typeof(CatalogDocument))]
[JsonSerializable(typeof(IReadOnlyList<ArtifactSpec>))]
[JsonSerializable(typeof(ReleaseState))]
[JsonSerializable(typeof(DeliveryState))]
[JsonSerializable(typeof(DeliveryStatus))]
[JsonSerializable(typeof(DeploymentStatus))]
[JsonSerializable(typeof(JsonObject))]
[JsonSerializable(typeof(GetApp.Agent.Core.Settings.AgentSettings))]
[JsonSerializable(typeof(JsonArray))]
[JsonSerializable(typeof(JsonNode))]
[JsonSerializable(typeof(GetApp.Agent.Core.Device.DeviceEnrollment))]
[JsonSerializable(typeof(DeployDto))]
[JsonSerializable(typeof(DeployMessageDto))]
[JsonSerializable(typeof(IReadOnlyList<CdnDeviceDto>))]
[JsonSerializable(typeof(IReadOnlyList<CdnDeviceReleasesDto>))]
[JsonSerializable(typeof(IReadOnlyList<CdnDeviceReleaseDto>))]
[JsonSerializable(typeof(IReadOnlyList<CdnDeviceOfferingDto>))]
public sealed partial class AgentJsonContext : JsonSerializerContext;
