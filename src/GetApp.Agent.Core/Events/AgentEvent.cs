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

/// <summary>
/// One event: its place in the hub's sequence, its stream, and its payload serialised once (UTF-8 JSON on one line) and
/// shared by every client that receives it.
/// </summary>
public sealed class AgentEvent
{
    /// <summary>The keep-alive marker the hub puts into every client's queue (written as <c>: ping</c>, never replayed).</summary>
    public static readonly AgentEvent Ping = new(0, EventStreams.None, [], AgentEventKind.Ping);

    public AgentEvent(long sequence, EventStreams stream, byte[] data, AgentEventKind kind = AgentEventKind.Data)
    {
        Sequence = sequence;
        Stream = stream;
        Data = data;
        Kind = kind;
    }

    /// <summary>1, 2, 3… since the agent started; 0 for events outside the sequence (ping, snapshot entries).</summary>
    public long Sequence { get; }

    public EventStreams Stream { get; }

    public byte[] Data { get; }

    public AgentEventKind Kind { get; }

    public bool IsPing => Kind == AgentEventKind.Ping;
}
