using System.Globalization;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Events;

/// <summary>
/// The one in-process hub of the event streams. Publishing appends to a bounded replay buffer and offers the event to
/// every subscribed client's bounded queue without waiting; a client whose queue is full is dropped (it reconnects with
/// <c>Last-Event-ID</c> and gets what it missed, or a snapshot). So a stuck client can slow neither a publisher (an
/// engine's hook) nor another client.
/// </summary>
/// <remarks>
/// Event ids on the wire are <c>&lt;boot&gt;-&lt;sequence&gt;</c>: the boot part changes at every start, so an id from
/// before a restart is recognised as unknown (and answered with a snapshot) instead of being mistaken for a recent one.
/// </remarks>
public sealed partial class EventHub : IDisposable
{
    private readonly EventsOptions _options;
    private readonly ILogger<EventHub> _logger;
    private readonly Lock _gate = new();
    private readonly AgentEvent[] _ring;
    private readonly List<EventSubscription> _clients = [];
    private readonly ITimer _pingTimer;
    private int _ringStart;
    private int _ringCount;
    private long _sequence;
    private long _dropped;

    public EventHub(EventsOptions options, TimeProvider timeProvider, ILogger<EventHub> logger)
    {
        _options = options;
        _logger = logger;
        _ring = new AgentEvent[Math.Max(1, options.ReplayBufferSize)];
        BootId = Convert.ToString(timeProvider.GetUtcNow().ToUnixTimeMilliseconds(), 16) + Random.Shared.Next(0x1000, 0xFFFF).ToString("x", CultureInfo.InvariantCulture);
        _pingTimer = timeProvider.CreateTimer(_ => Ping(), null, options.PingInterval, options.PingInterval);
    }

    /// <summary>Changes at every start of the agent; the first part of every event id.</summary>
    public string BootId { get; }

    /// <summary>Raised (outside the hub's lock) when a client is dropped.</summary>
    public event Action<string>? ClientDropped;

    /// <summary>Raised (outside the hub's lock) after an event is published.</summary>
    public event Action<AgentEvent>? Published;

    public int ClientCount
    {
        get
        {
            lock (_gate)
            {
                return _clients.Count;
            }
        }
    }

    /// <summary>Clients dropped since the agent started.</summary>
    public long DroppedClients => Interlocked.Read(ref _dropped);

    /// <summary>The sequence number of the last published event.</summary>
    public long Sequence
    {
        get
        {
            lock (_gate)
            {
                return _sequence;
            }
        }
    }

    public string IdOf(long sequence) => string.Create(CultureInfo.InvariantCulture, $"{BootId}-{sequence}");

    /// <summary>Publishes one event: never waits, whatever the clients do.</summary>
    public AgentEvent Publish(EventStreams stream, byte[] data)
    {
        List<EventSubscription>? full = null;
        AgentEvent published;
        lock (_gate)
        {
            published = new AgentEvent(++_sequence, stream, data);
            if (_ringCount < _ring.Length)
            {
                _ring[(_ringStart + _ringCount++) % _ring.Length] = published;
            }
            else
            {
                _ring[_ringStart] = published;
                _ringStart = (_ringStart + 1) % _ring.Length;
            }

            foreach (var client in _clients)
            {
                if (client.Accepts(published) && !client.TryEnqueue(published))
                {
                    (full ??= []).Add(client);
                }
            }
        }

        DropAll(full, "it stopped reading: its queue is full");
        Published?.Invoke(published);
        return published;
    }

    /// <summary>
    /// Registers a client. With a known <paramref name="lastEventId"/> the subscription carries what the client missed
    /// (<see cref="EventSubscription.Replay"/>); without one, or when it is too old or from before a restart, Replay is
    /// null and the caller sends a snapshot. Either way nothing published after this call is missed.
    /// </summary>
    public EventSubscription Subscribe(EventStreams streams, string? lastEventId)
    {
        lock (_gate)
        {
            List<AgentEvent>? replay = null;
            if (ParseId(lastEventId) is { } last && last <= _sequence && last >= _sequence - _ringCount)
            {
                replay = [];
                for (var i = 0; i < _ringCount; i++)
                {
                    var e = _ring[(_ringStart + i) % _ring.Length];
                    if (e.Sequence > last && (streams & e.Stream) != 0)
                    {
                        replay.Add(e);
                    }
                }
            }

            var client = new EventSubscription(streams, _options, _sequence, replay);
            _clients.Add(client);
            return client;
        }
    }

    public void Unsubscribe(EventSubscription client)
    {
        ArgumentNullException.ThrowIfNull(client);
        lock (_gate)
        {
            _clients.Remove(client);
        }
    }

    /// <summary>Drops a client from outside (its writes stalled); it is removed from the hub at once.</summary>
    public void Drop(EventSubscription client, string reason) => DropAll([client], reason);

    /// <summary>The sequence number in an id of this boot, else null.</summary>
    internal long? ParseId(string? id)
    {
        if (id is null || !id.StartsWith(BootId, StringComparison.Ordinal) || id.Length <= BootId.Length + 1 || id[BootId.Length] != '-')
        {
            return null;
        }

        return long.TryParse(id.AsSpan(BootId.Length + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) ? sequence : null;
    }

    private void Ping()
    {
        List<EventSubscription>? full = null;
        lock (_gate)
        {
            foreach (var client in _clients)
            {
                if (!client.TryEnqueue(AgentEvent.Ping))
                {
                    (full ??= []).Add(client);
                }
            }
        }

        DropAll(full, "it stopped reading: even pings pile up");
    }

    private void DropAll(List<EventSubscription>? clients, string reason)
    {
        if (clients is null)
        {
            return;
        }

        lock (_gate)
        {
            foreach (var client in clients)
            {
                _clients.Remove(client);
            }
        }

        foreach (var client in clients)
        {
            if (client.Drop(reason))
            {
                Interlocked.Increment(ref _dropped);
                LogDropped(string.Join(",", EventStreamNames.Each.Where(s => (client.Streams & s) != 0).Select(EventStreamNames.PathOf)), reason);
                ClientDropped?.Invoke(reason);
            }
        }
    }

    public void Dispose() => _pingTimer.Dispose();

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "An event stream client ({Streams}) was dropped: {Reason}")]
    private partial void LogDropped(string streams, string reason);
}
