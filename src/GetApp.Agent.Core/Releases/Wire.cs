using System.Text.Json;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Releases;

/// <summary>Wire spellings of the lifecycle enums, for messages and storage (one source of truth: the JSON converters).</summary>
public static class Wire
{
    public static string Of(ReleaseState value) => Strip(JsonSerializer.Serialize(value, AgentJsonContext.Default.ReleaseState));

    public static string Of(DeliveryState? value) =>
        value is { } v ? Strip(JsonSerializer.Serialize(v, AgentJsonContext.Default.DeliveryState)) : "none";

    public static ReleaseState ParseState(string value) =>
        JsonSerializer.Deserialize($"\"{value}\"", AgentJsonContext.Default.ReleaseState);

    public static DeliveryState ParseDeliveryState(string value) =>
        JsonSerializer.Deserialize($"\"{value}\"", AgentJsonContext.Default.DeliveryState);

    private static string Strip(string json) => json.Trim('"');
}
