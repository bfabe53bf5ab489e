using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Health;

namespace GetApp.Agent.Core.Events;

/// <summary>
/// The JSON of the events, health and summary area, generated at compile time with the same conventions as
/// <see cref="AgentJsonContext"/> (camelCase, nulls written, dates in UTC).
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    NumberHandling = JsonNumberHandling.Strict,
    Converters = [typeof(UtcDateTimeOffsetConverter)])]
[JsonSerializable(typeof(NotificationEvent))]
[JsonSerializable(typeof(IReadOnlyList<NotificationEvent>))]
[JsonSerializable(typeof(AgentSummary))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(StreamReset))]
public sealed partial class EventsJsonContext : JsonSerializerContext;

/// <summary>The context in use: readable quotes and non-ASCII text, as <see cref="AgentJson"/>.</summary>
public static class EventsJson
{
    public static EventsJsonContext Context { get; } = new(new JsonSerializerOptions(EventsJsonContext.Default.Options)
    {
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        TypeInfoResolver = null,
    });
}

/// <summary>The <c>reset</c> event before a snapshot: forget what you hold of this stream, the current state follows.</summary>
public sealed record StreamReset(string Stream);
