using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Upstream.GetAppServer;

/// <summary>
/// The JSON contract with the GetApp server, generated at compile time. Same options as <see cref="AgentJsonContext"/>
/// except that null fields are left out: the server's DTOs mark them <c>@IsOptional()</c>, and an absent field is what
/// every GetApp client sends, so it is the shape least likely to trip the gateway's validation.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    ReadCommentHandling = JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(UtcDateTimeOffsetConverter)])]
[JsonSerializable(typeof(DiscoveryMessageV2Dto))]
[JsonSerializable(typeof(DeviceComponentsOfferingDto))]
[JsonSerializable(typeof(PrepareDeliveryReqDto))]
[JsonSerializable(typeof(PrepareDeliveryResDto))]
[JsonSerializable(typeof(DeliveryStatusDto))]
[JsonSerializable(typeof(DeployStatusDto))]
[JsonSerializable(typeof(JsonObject))]
public sealed partial class GetAppServerJsonContext : JsonSerializerContext;
