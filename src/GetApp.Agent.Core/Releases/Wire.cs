using System.Text.Json;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Releases;

/// <summary>Wire spellings of the lifecycle enums, for messages and storage (one source of truth: the JSON converters).</summary>
public static class Wire
{
    public static string Of(ReleaseState value) => Strip(JsonSerializer.Serialize(value, AgentJson.Context.ReleaseState));

    public static string Of(DeliveryState? value) =>
        value is { } v ? Strip(JsonSerializer.Serialize(v, AgentJson.Context.DeliveryState)) : "none";

    public static ReleaseState ParseState(string value) =>
        JsonSerializer.Deserialize($"\"{value}\"", AgentJson.Context.ReleaseState);

    public static DeliveryState ParseDeliveryState(string value) =>
        JsonSerializer.Deserialize($"\"{value}\"", AgentJson.Context.DeliveryState);

    private static string Strip(string json) => json.Trim('"');
}
