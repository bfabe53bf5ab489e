using System.Globalization;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Events;

/// <summary>
/// The one in-process hub of the event streams. Publishing appends to a bounded replay buffer, keeps the payload as the
/// latest state of its key (a release, the offering, the summary), and offers the event to every subscribed client's
/// bounded queue without waiting; a client whose queue is full is dropped (it reconnects with <c>Last-Event-ID</c> and
/// gets what it missed, or a snapshot). So a stuck client can slow neither a publisher (an engine's hook) nor another
/// client. A new client's snapshot is taken from the latest states under the same lock that registers it: exactly the
/// state at its position in the sequence, with no database read and no payload built per client.
/// </summary>
/// <remarks>
/// Event ids on the wire are <c>&lt;boot&gt;-&lt;sequence&gt;</c>: the boot part changes at every start, so an id from
/// before a restart is recognised as unknown (and answered with a snapshot) instead of being mistaken for a recent one.
/// </remarks>
public sealed partial class EventHub : IDisposable
{
    /// <summary>The payload of each stream's <c>reset</c> marker: <c>{"stream":"delivery"}</c>.</summary>
    private static readonly Dictionary<EventStreams, byte[]> Resets = EventStreamNames.Known.ToDictionary(
        s => s, s => System.Text.Encoding.UTF8.GetBytes($"{{\"stream\":\"{EventStreamNames.PathOf(s)}\"}}"));

    private readonly EventsOptions _options;
    private readonly ILogger<EventHub> _logger;
    private readonly Lock _gate = new();
    private readonly AgentEvent[] _ring;
    private readonly List<EventSubscription> _clients = [];
    private readonly Dictionary<EventStreams, SortedDictionary<string, Latest>> _latest = new()
    {
        [EventStreams.Agent] = new(StringComparer.Ordinal),
        [EventStreams.Offering] = new(StringComparer.Ordinal),
        [EventStreams.Delivery] = new(StringComparer.Ordinal),
        [EventStreams.Deploy] = new(StringComparer.Ordinal),
        [EventStreams.Fleet] = new(StringComparer.Ordinal),
    };

    // Streams primed as a whole (PrimeAll): what their keys were at start, read when a snapshot is written.
    private readonly Dictionary<EventStreams, Func<IEnumerable<(string Key, EventRenderer Render)>>> _primedAll = [];
    private readonly Queue<byte[]> _recentNotifications = new();
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

    /// <summary>Raised (outside the hub's lock) after a client subscribed, with the streams it follows.</summary>
    public event Action<EventStreams>? Subscribed;

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

    /// <summary>Whether any client follows <paramref name="stream"/> now (a publisher may skip building payloads nobody reads).</summary>
    public bool HasClients(EventStreams stream)
    {
        lock (_gate)
        {
            foreach (var client in _clients)
            {
                if ((client.Streams & stream) != 0)
                {
                    return true;
                }
            }

            return false;
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

    /// <summary>How many recent notifications a snapshot repeats (the full history is <c>GET /api/v2/agent/notifications</c>).</summary>
    public const int SnapshotNotifications = 20;

    /// <summary>
    /// Publishes one event: never waits, whatever the clients do. <paramref name="key"/> names what the payload is the
    /// latest state of (a catalog id; "" for the offering and the summary); <paramref name="forget"/> drops that state
    /// from later snapshots (a release no longer in deploy).
    /// </summary>
    public AgentEvent Publish(EventStreams stream, byte[] data, string? key = null, bool forget = false)
    {
        List<EventSubscription>? full = null;
        AgentEvent published;
        lock (_gate)
        {
            Remember(stream, key, data, forget);
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

    /// <summary>Sets the latest state of a key without publishing an event (the state found at start).</summary>
    public void Prime(EventStreams stream, string key, byte[] data)
    {
        lock (_gate)
        {
            Remember(stream, key, data, forget: false);
        }
    }

    /// <summary>
    /// Sets the latest state of a key, rendered only when a snapshot with it is written, and each time (the state found at
    /// start, until the key's first event replaces it): a device's thousands of releases are neither rendered nor held
    /// twice for the event streams. <paramref name="render"/> gives the state as it was when primed, or a later one that
    /// an event about to be published repeats (never one that no event will follow).
    /// </summary>
    public void Prime(EventStreams stream, string key, EventRenderer render)
    {
        ArgumentNullException.ThrowIfNull(render);
        lock (_gate)
        {
            if (_latest.TryGetValue(stream, out var latest))
            {
                latest[key] = new Latest(null, render);
            }
        }
    }

    /// <summary>
    /// Sets the state found at start of every key of a stream at once: <paramref name="states"/> is read each time a
    /// snapshot is written, for the keys no event has set since (an event's state replaces a key's). A device of thousands
    /// of releases then holds nothing per release for the event streams. What it gives follows the rule of
    /// <see cref="Prime(EventStreams, string, EventRenderer)"/>: the state when primed, or a later one that an event about
    /// to be published repeats. Called under the hub's lock: it must not wait for anything.
    /// </summary>
    public void PrimeAll(EventStreams stream, Func<IEnumerable<(string Key, EventRenderer Render)>> states)
    {
        ArgumentNullException.ThrowIfNull(states);
        lock (_gate)
        {
            _primedAll[stream] = states;
        }
    }

    /// <summary>
    /// Registers a client. With a known <paramref name="lastEventId"/> the subscription carries what the client missed
    /// (<see cref="EventSubscription.Replay"/>); without one, or when it is too old or from before a restart, it carries a
    /// snapshot of the current state instead (<see cref="EventSubscription.Snapshot"/>). Either way nothing published
    /// after this call is missed, and nothing before it is sent twice.
    /// </summary>
    public EventSubscription Subscribe(EventStreams streams, string? lastEventId)
    {
        EventSubscription client;
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

            client = new EventSubscription(streams, _options, _sequence, replay, replay is null ? Snapshot(streams) : null);
            _clients.Add(client);
        }

        Subscribed?.Invoke(streams);
        return client;
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

    /// <summary>
    /// The current state of each stream in <paramref name="streams"/>, in <see cref="EventStreamNames.Known"/> order: a
    /// <c>reset</c> marker, then the summary, the offering, every release on the device (by catalog id), every deploy
    /// record, the last notifications. Called under the lock.
    /// </summary>
    private List<AgentEvent> Snapshot(EventStreams streams)
    {
        var events = new List<AgentEvent>();
        foreach (var stream in EventStreamNames.Known)
        {
            if ((streams & stream) == 0)
            {
                continue;
            }

            events.Add(new AgentEvent(0, stream, ResetOf(stream), AgentEventKind.Reset));
            if (stream == EventStreams.Notifications)
            {
                foreach (var data in _recentNotifications)
                {
                    events.Add(new AgentEvent(0, stream, data));
                }
            }
            else if (_latest.TryGetValue(stream, out var latest) && _primedAll.TryGetValue(stream, out var primed))
            {
                // The keys no event has set since the start come from what was primed, all in one key order.
                var merged = new List<KeyValuePair<string, AgentEvent>>(latest.Count);
                foreach (var (key, state) in latest)
                {
                    merged.Add(new(key, EventOf(stream, state)));
                }

                foreach (var (key, render) in primed())
                {
                    if (!latest.ContainsKey(key))
                    {
                        merged.Add(new(key, new AgentEvent(stream, render)));
                    }
                }

                merged.Sort((a, b) => string.CompareOrdinal(a.Key, b.Key));
                events.AddRange(merged.Select(m => m.Value));
            }
            else if (latest is not null)
            {
                foreach (var state in latest.Values)
                {
                    events.Add(EventOf(stream, state));
                }
            }
        }

        return events;
    }

    private void Remember(EventStreams stream, string? key, byte[] data, bool forget)
    {
        if (stream == EventStreams.Notifications)
        {
            _recentNotifications.Enqueue(data);
            while (_recentNotifications.Count > SnapshotNotifications)
            {
                _recentNotifications.Dequeue();
            }
        }
        else if (key is not null && _latest.TryGetValue(stream, out var latest))
        {
            if (forget)
            {
                latest.Remove(key);
            }
            else
            {
                latest[key] = new Latest(data, null);
            }
        }
    }

    private static byte[] ResetOf(EventStreams stream) => Resets[stream];

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
                LogDropped(string.Join(",", EventStreamNames.Known.Where(s => (client.Streams & s) != 0).Select(EventStreamNames.PathOf)), reason);
                ClientDropped?.Invoke(reason);
            }
        }
    }

    public void Dispose() => _pingTimer.Dispose();

    private static AgentEvent EventOf(EventStreams stream, Latest state) =>
        state.Render is { } render ? new AgentEvent(stream, render) : new AgentEvent(0, stream, state.Data!);

    /// <summary>A key's latest state: its payload, or how to render it (primed at start).</summary>
    private readonly record struct Latest(byte[]? Data, EventRenderer? Render);

    [LoggerMessage(EventId = 5000, Level = LogLevel.Information, Message = "An event stream client ({Streams}) was dropped: {Reason}")]
    private partial void LogDropped(string streams, string reason);
}
