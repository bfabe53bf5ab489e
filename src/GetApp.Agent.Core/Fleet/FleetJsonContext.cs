using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Fleet;

/// <summary>
/// The JSON of fleet control, generated at compile time with the conventions of <see cref="AgentJsonContext"/> (camelCase,
/// nulls written, dates in UTC).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(UtcDateTimeOffsetConverter)])]
[JsonSerializable(typeof(FleetCommandDto))]
[JsonSerializable(typeof(IReadOnlyList<FleetCommandDto>))]
[JsonSerializable(typeof(FleetActionAnswerDto))]
[JsonSerializable(typeof(ManagedStateDto))]
[JsonSerializable(typeof(OrchestrationDto))]
[JsonSerializable(typeof(ManagedCommandDto))]
[JsonSerializable(typeof(FleetDeviceDto))]
[JsonSerializable(typeof(IReadOnlyList<FleetDeviceDto>))]
[JsonSerializable(typeof(IReadOnlyList<CdnDeviceDto>))]
[JsonSerializable(typeof(ManagedStatusDto))]
[JsonSerializable(typeof(System.Text.Json.Nodes.JsonObject))]
public sealed partial class FleetJsonContext : JsonSerializerContext;

/// <summary>The context in use: readable quotes and non-ASCII text, as <see cref="AgentJson"/>.</summary>
public static class FleetJson
{
    public static FleetJsonContext Context { get; } = new(new JsonSerializerOptions(FleetJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = null,
    });
}
