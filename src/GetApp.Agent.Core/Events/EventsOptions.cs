namespace GetApp.Agent.Core.Events;

/// <summary>
/// Limits of the event streams. The defaults are the product's; tests shrink them to see a limit reached in seconds.
/// </summary>
public sealed record EventsOptions
{
    /// <summary>A <c>: ping</c> comment goes to every client this often (GetApp pings every 10 s).</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many published events are kept for clients that reconnect with <c>Last-Event-ID</c>.</summary>
    public int ReplayBufferSize { get; init; } = 1024;

    /// <summary>A client whose queue holds this many events it has not taken is dropped.</summary>
    public int ClientQueueCapacity { get; init; } = 256;

    /// <summary>...or this many bytes of them (one event larger than this still goes to a client that has caught up).</summary>
    public long ClientQueueBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>A client that has not taken a write for this long is dropped (its socket and buffers are full).</summary>
    public TimeSpan WriteStallTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The kernel send buffer of an event stream's connection (SO_SNDBUF). Small, because a stream needs no more: a stuck
    /// client then fills it after kilobytes rather than megabytes (it is detected and dropped at once, and 200 stuck
    /// clients cannot pin hundreds of megabytes of kernel memory on a small device).
    /// </summary>
    public int SocketSendBufferBytes { get; init; } = 64 * 1024;

    /// <summary>Progress of one release is published at most this often (the engines update it twice a second).</summary>
    public TimeSpan ProgressInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>The device summary (<c>agent</c> stream) is rebuilt at most this often.</summary>
    public TimeSpan SummaryInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Free space of the data dir is sampled this often (and at once when the delivery buffer setting changes).</summary>
    public TimeSpan DiskSampleInterval { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How many notifications <c>GET /api/v2/agent/notifications</c> and a new client's snapshot keep.</summary>
    public int NotificationHistory { get; init; } = 100;
}
