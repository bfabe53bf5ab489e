using System.Text.Json;
using System.Text.Json.Serialization;

namespace GetApp.Agent.Core.Parent;

/// <summary>The JSON the parent keeps for itself in the registry (lists of device types), generated at compile time.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IReadOnlyList<string>))]
internal sealed partial class ParentJsonContext : JsonSerializerContext;
