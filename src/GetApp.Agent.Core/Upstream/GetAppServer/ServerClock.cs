using System.Globalization;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Upstream.GetAppServer;

/// <summary>
/// The GetApp server's clock as seen from the device: the offset between the two, estimated from the <c>Date</c> header
/// of every server answer. The server applies a discovery's component states only when its <c>snapshotDate</c> is later
/// than the server time it stored for the previous discovery (docs/getapp-server.md, "Clock skew"), so a device whose
/// clock is behind (no NTP in the field) must send server-aligned times or it never syncs.
/// <para>
/// Each answer bounds the offset: the server's time was in <c>[Date, Date + 1 s)</c> at some instant between sending
/// and receiving, so offset ∈ <c>[Date − received, Date + 1 s − sent]</c>. Intervals from successive answers are
/// intersected (the estimate narrows to about the round trip); one that does not overlap means a clock was changed,
/// and it replaces the old one. The estimate is the middle of the interval.
/// </para>
/// </summary>
public sealed class ServerClock(TimeProvider timeProvider)
{
    private const string StoreKey = "serverClock";
    private static readonly TimeSpan DateResolution = TimeSpan.FromSeconds(1);

    private readonly Lock _lock = new();
    private TimeSpan _low;
    private TimeSpan _high;
    private DateTimeOffset? _measuredAt;
    private bool _loaded;
    private bool _remembered;

    /// <summary>The estimated server time minus the device time, or null before the first answer with a <c>Date</c>.</summary>
    public TimeSpan? Offset
    {
        get
        {
            lock (_lock)
            {
                return _measuredAt is null ? null : _low + ((_high - _low) / 2);
            }
        }
    }

    /// <summary>The server's time now, as well as it is known (the device's own time before any estimate).</summary>
    public DateTimeOffset Now => ToServer(timeProvider.GetUtcNow());

    public DateTimeOffset ToServer(DateTimeOffset local) => local + (Offset ?? TimeSpan.Zero);

    /// <summary>
    /// The latest the server's time can be at <paramref name="local"/>: never earlier than its real time, however coarse
    /// the <c>Date</c> header (1 s). A <c>snapshotDate</c> built with it is later than anything the server stored before.
    /// </summary>
    public DateTimeOffset ToServerUpperBound(DateTimeOffset local) => local + UpperBoundOffset;

    /// <summary>The offset <see cref="ToServerUpperBound"/> adds (zero before the first answer).</summary>
    public TimeSpan UpperBoundOffset
    {
        get
        {
            lock (_lock)
            {
                return _measuredAt is null ? TimeSpan.Zero : _high;
            }
        }
    }

    /// <summary>What is known: offset, half the width of its interval, and when the last answer was measured.</summary>
    public ServerClockSnapshot? Snapshot()
    {
        lock (_lock)
        {
            return _measuredAt is { } at ? new ServerClockSnapshot(_low + ((_high - _low) / 2), (_high - _low) / 2, at) : null;
        }
    }

    /// <summary>Takes in one answer: sent and received by the device clock, and the answer's <c>Date</c> header.</summary>
    public void Observe(DateTimeOffset sentAt, DateTimeOffset receivedAt, DateTimeOffset serverDate)
    {
        if (receivedAt < sentAt)
        {
            // The device clock stepped back during the request: the sample says nothing reliable.
            return;
        }

        var low = serverDate - receivedAt;
        var high = serverDate + DateResolution - sentAt;
        lock (_lock)
        {
            if (_measuredAt is not null && !_remembered && low <= _high && high >= _low)
            {
                _low = low > _low ? low : _low;
                _high = high < _high ? high : _high;
            }
            else
            {
                _low = low;
                _high = high;
            }

            _measuredAt = receivedAt;
            _remembered = false;
        }
    }

    /// <summary>Reads the estimate kept by the previous run, so the first discovery after a restart is aligned too.</summary>
    public async Task LoadAsync(AgentDatabase database, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            if (_loaded)
            {
                return;
            }
        }

        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        var stored = await DeviceTable.GetAsync(connection, null, StoreKey, cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _loaded = true;
            if (_measuredAt is null && stored?.Split(' ') is [var low, var high, var at]
                && long.TryParse(low, NumberStyles.Integer, CultureInfo.InvariantCulture, out var lowMs)
                && long.TryParse(high, NumberStyles.Integer, CultureInfo.InvariantCulture, out var highMs)
                && long.TryParse(at, NumberStyles.Integer, CultureInfo.InvariantCulture, out var atMs)
                && lowMs <= highMs)
            {
                // The remembered interval stands in only until the first answer of this run replaces it.
                _low = TimeSpan.FromMilliseconds(lowMs);
                _high = TimeSpan.FromMilliseconds(highMs);
                _measuredAt = DateTimeOffset.FromUnixTimeMilliseconds(atMs);
                _remembered = true;
            }
        }
    }

    /// <summary>Keeps the current interval for the next run (rounded outwards to whole milliseconds).</summary>
    public async Task SaveAsync(AgentDatabase database, CancellationToken cancellationToken)
    {
        string value;
        lock (_lock)
        {
            if (_measuredAt is not { } at)
            {
                return;
            }

            value = string.Create(CultureInfo.InvariantCulture,
                $"{(long)Math.Floor(_low.TotalMilliseconds)} {(long)Math.Ceiling(_high.TotalMilliseconds)} {at.ToUnixTimeMilliseconds()}");
        }

        await using var connection = await database.OpenAsync(cancellationToken).ConfigureAwait(false);
        await DeviceTable.SetAsync(connection, null, StoreKey, value, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>The estimated server-minus-device offset, its uncertainty (±), and when it was last measured (device time).</summary>
public sealed record ServerClockSnapshot(TimeSpan Offset, TimeSpan Uncertainty, DateTimeOffset MeasuredAt);
