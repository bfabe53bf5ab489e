namespace GetApp.Agent.Core.Events;

/// <summary>
/// The event streams of <c>/api/v2/events/*</c>. A subscription may follow several at once (the combined
/// <c>/api/v2/events?streams=</c> endpoint), so they are flags; every published event belongs to exactly one.
/// </summary>
[Flags]
public enum EventStreams
{
    None = 0,

    /// <summary>The offering (same shape as <c>GET /api/v2/device/offering</c>), on every change.</summary>
    Offering = 1,

    /// <summary>A release's <c>DeviceReleaseStatusDto</c> on every move and progress step.</summary>
    Delivery = 2,

    /// <summary>A release's <c>DeployDto</c> on every deploy change.</summary>
    Deploy = 4,

    /// <summary>What a person must see: <see cref="NotificationEvent"/>.</summary>
    Notifications = 8,

    /// <summary>GetConfig (the stream exists and keeps alive; content comes with GetConfig).</summary>
    GetConfig = 16,

    /// <summary>This agent's addition: the device summary (<c>GET /api/v2/agent/summary</c>) whenever it changes.</summary>
    Agent = 32,

    /// <summary>
    /// This agent's addition, on the parent: one child's fleet entry (docs/fleet.md) whenever it changes. Served at
    /// <c>/api/cdn/events/fleet</c> and on the combined endpoint when named; not part of <see cref="All"/>.
    /// </summary>
    Fleet = 64,

    All = Offering | Delivery | Deploy | Notifications | GetConfig | Agent,
}

/// <summary>Names of the streams on the wire: the path segment, and the SSE event name on the combined endpoint.</summary>
public static class EventStreamNames
{
    /// <summary>Every single stream, in the order a combined snapshot sends them.</summary>
    public static readonly EventStreams[] Each =
        [EventStreams.Agent, EventStreams.Offering, EventStreams.Delivery, EventStreams.Deploy, EventStreams.Notifications, EventStreams.GetConfig];

    /// <summary>Every stream a client may name: the device's (<see cref="Each"/>), then the parent's fleet stream.</summary>
    public static readonly EventStreams[] Known = [.. Each, EventStreams.Fleet];

    /// <summary>The path segment: <c>/api/v2/events/{name}</c> (the fleet stream: <c>/api/cdn/events/fleet</c>).</summary>
    public static string PathOf(EventStreams stream) => stream switch
    {
        EventStreams.Offering => "offering",
        EventStreams.Delivery => "delivery",
        EventStreams.Deploy => "deploy",
        EventStreams.Notifications => "notifications",
        EventStreams.GetConfig => "getconfig",
        EventStreams.Agent => "agent",
        EventStreams.Fleet => "fleet",
        _ => throw new ArgumentOutOfRangeException(nameof(stream), stream, "not a single stream"),
    };

    /// <summary>The SSE <c>event:</c> name of the stream's data events on the combined endpoint.</summary>
    public static string EventNameOf(EventStreams stream) => stream == EventStreams.Notifications ? "notification" : PathOf(stream);

    public static EventStreams? Parse(string name)
    {
        foreach (var stream in Known)
        {
            if (string.Equals(PathOf(stream), name, StringComparison.OrdinalIgnoreCase))
            {
                return stream;
            }
        }

        return null;
    }

    /// <summary>Parses a comma-separated list (<c>delivery,deploy</c>); empty means all. Returns the first unknown name as the problem.</summary>
    public static EventStreams ParseList(string? list, out string? problem)
    {
        problem = null;
        if (string.IsNullOrWhiteSpace(list))
        {
            return EventStreams.All;
        }

        var streams = EventStreams.None;
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Parse(part) is not { } stream)
            {
                problem = $"unknown event stream '{part}' (known: {string.Join(", ", Known.Select(PathOf))})";
                return EventStreams.None;
            }

            streams |= stream;
        }

        return streams == EventStreams.None ? EventStreams.All : streams;
    }
}
