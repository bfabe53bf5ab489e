namespace GetApp.Agent.Core.Events;

public enum AgentEventKind
{
    /// <summary>A payload of its stream.</summary>
    Data,

    /// <summary>Before a snapshot of its stream: forget what you hold of it.</summary>
    Reset,

    /// <summary>The keep-alive comment.</summary>
    Ping,
}

/// <summary>Renders a state primed at start when a snapshot is written (UTF-8 JSON on one line).</summary>
public delegate ValueTask<ReadOnlyMemory<byte>> EventRenderer(CancellationToken cancellationToken);

/// <summary>
/// One event: its place in the hub's sequence, its stream, and its payload serialised once (UTF-8 JSON on one line) and
/// shared by every client that receives it. A snapshot entry for a state primed at start may instead be rendered when
/// it is written (<see cref="ReadDataAsync"/>): thousands of releases then cost nothing until a client asks.
/// </summary>
public sealed class AgentEvent
{
    private readonly EventRenderer? _render;

    /// <summary>The keep-alive marker the hub puts into every client's queue (written as <c>: ping</c>, never replayed).</summary>
    public static readonly AgentEvent Ping = new(0, EventStreams.None, [], AgentEventKind.Ping);

    public AgentEvent(long sequence, EventStreams stream, byte[] data, AgentEventKind kind = AgentEventKind.Data)
    {
        Sequence = sequence;
        Stream = stream;
        Data = data;
        Kind = kind;
    }

    /// <summary>A snapshot entry rendered when it is written.</summary>
    public AgentEvent(EventStreams stream, EventRenderer render)
    {
        Stream = stream;
        Data = [];
        Kind = AgentEventKind.Data;
        _render = render;
    }

    /// <summary>1, 2, 3… since the agent started; 0 for events outside the sequence (ping, snapshot entries).</summary>
    public long Sequence { get; }

    public EventStreams Stream { get; }

    /// <summary>The payload (empty for an entry rendered when written: see <see cref="ReadDataAsync"/>).</summary>
    public byte[] Data { get; }

    /// <summary>The payload, rendered now when the entry is rendered when written.</summary>
    public ValueTask<ReadOnlyMemory<byte>> ReadDataAsync(CancellationToken cancellationToken) =>
        _render is null ? ValueTask.FromResult<ReadOnlyMemory<byte>>(Data) : _render(cancellationToken);

    public AgentEventKind Kind { get; }

    public bool IsPing => Kind == AgentEventKind.Ping;
}
