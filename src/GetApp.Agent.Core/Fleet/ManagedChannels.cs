using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Fleet;

/// <summary>
/// One child's open command channel on the parent (<c>GET /api/cdn/events/managed/{deviceId}</c>): a small bounded
/// queue of ready SSE frames that the connection's writer drains. A child that stops reading fills it and is closed.
/// </summary>
public sealed class ManagedChannel : IDisposable
{
    /// <summary>Frames waiting for the connection: a burst of queued commands fits, a child that stopped reading does not.</summary>
    public const int Capacity = 1024;

    private readonly Channel<byte[]> _frames = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(Capacity)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly CancellationTokenSource _closed = new();
    private int _closing;

    internal ManagedChannel(string deviceId, long connection, DateTimeOffset openedAt)
    {
        DeviceId = deviceId;
        Connection = connection;
        OpenedAt = openedAt;
    }

    public string DeviceId { get; }

    /// <summary>A number unique in this run of the agent: which of a device's successive connections this is.</summary>
    public long Connection { get; }

    public DateTimeOffset OpenedAt { get; }

    /// <summary>The highest command <see cref="FleetCommand.Seq"/> written on this connection (commands are sent once per connection).</summary>
    public long LastSentSeq { get; set; }

    /// <summary>Cancelled when the channel is closed (by the parent, or replaced by a newer connection of the device).</summary>
    public CancellationToken Closed => _closed.Token;

    /// <summary>Why the parent closed it, when it did.</summary>
    public string? CloseReason { get; private set; }

    public ChannelReader<byte[]> Frames => _frames.Reader;

    /// <summary>Queues a frame; false (and the channel is closed) when the child has stopped reading.</summary>
    public bool TryWrite(byte[] frame)
    {
        if (_frames.Writer.TryWrite(frame))
        {
            return true;
        }

        Close("it stopped reading: its queue is full");
        return false;
    }

    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) == 1)
        {
            return;
        }

        CloseReason = reason;
        _frames.Writer.TryComplete();
        _closed.Cancel();
    }

    public void Dispose() => _closed.Dispose();
}

/// <summary>
/// The open command channels, by device: online = a channel is open (docs/fleet.md). A device has at most one: a newer
/// connection replaces the older (the child reconnected before the parent noticed the old one drop). Every channel gets
/// a <c>: ping</c> every <see cref="FleetOptions.PingInterval"/>, from one timer for all.
/// </summary>
public sealed partial class ManagedChannels : IDisposable
{
    private static readonly byte[] PingFrame = ": ping\n\n"u8.ToArray();

    private readonly ConcurrentDictionary<string, ManagedChannel> _open = new(StringComparer.Ordinal);
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ManagedChannels> _logger;
    private readonly ITimer _ping;
    private long _connections;

    public ManagedChannels(FleetOptions options, TimeProvider timeProvider, ILogger<ManagedChannels> logger)
    {
        _timeProvider = timeProvider;
        _logger = logger;
        _ping = timeProvider.CreateTimer(_ => Ping(), null, options.PingInterval, options.PingInterval);
    }

    /// <summary>Raised (outside any lock) when a device comes online (true) or goes offline (false).</summary>
    public event Action<string, bool>? Changed;

    public int Count => _open.Count;

    public bool IsOnline(string deviceId) => _open.ContainsKey(deviceId);

    public ManagedChannel? Find(string deviceId) => _open.GetValueOrDefault(deviceId);

    public IReadOnlyCollection<string> OnlineDevices => [.. _open.Keys];

    /// <summary>Registers a new connection of <paramref name="deviceId"/>, closing the one it replaces.</summary>
    public ManagedChannel Open(string deviceId)
    {
        var channel = new ManagedChannel(deviceId, Interlocked.Increment(ref _connections), _timeProvider.GetUtcNow());
        ManagedChannel? replaced = null;
        _open.AddOrUpdate(deviceId, channel, (_, old) =>
        {
            replaced = old;
            return channel;
        });
        replaced?.Close("the device opened a newer connection");
        LogOpened(deviceId, channel.Connection);
        Changed?.Invoke(deviceId, true);
        return channel;
    }

    /// <summary>The connection of <paramref name="channel"/> ended: the device is offline, unless a newer connection replaced it.</summary>
    public void Remove(ManagedChannel channel, string reason)
    {
        ArgumentNullException.ThrowIfNull(channel);
        channel.Close(reason);
        if (_open.TryRemove(new KeyValuePair<string, ManagedChannel>(channel.DeviceId, channel)))
        {
            LogClosed(channel.DeviceId, channel.Connection, reason);
            Changed?.Invoke(channel.DeviceId, false);
        }
    }

    /// <summary>Closes the device's channel, if open (the operator forgot the device, or refused its orchestration).</summary>
    public void Close(string deviceId, string reason)
    {
        if (_open.TryGetValue(deviceId, out var channel))
        {
            Remove(channel, reason);
        }
    }

    private void Ping()
    {
        foreach (var channel in _open.Values)
        {
            channel.TryWrite(PingFrame);
        }
    }

    public void Dispose()
    {
        _ping.Dispose();
        foreach (var channel in _open.Values)
        {
            channel.Close("the agent is stopping");
        }
    }

    [LoggerMessage(EventId = 7001, Level = LogLevel.Information, Message = "Command channel of {DeviceId} open (connection {Connection})")]
    private partial void LogOpened(string deviceId, long connection);

    [LoggerMessage(EventId = 7002, Level = LogLevel.Information, Message = "Command channel of {DeviceId} closed (connection {Connection}): {Reason}")]
    private partial void LogClosed(string deviceId, long connection, string reason);
}
