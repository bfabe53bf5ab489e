using System.Collections.Concurrent;
using System.Threading.Channels;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Health;
using GetApp.Agent.Core.Releases;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Events;

/// <summary>
/// Feeds the hub from where changes already happen: committed release moves (<see cref="ReleaseService.Moved"/>),
/// live progress (<see cref="ReleaseProgressBoard"/>), deploy records, discovery, the upstream and disk monitors. The
/// hooks only note what changed, without waiting (a channel write, a flag); this service builds the payloads on its own
/// task (the offering and deploy records need a read) and publishes them, progress coalesced per release to at most one
/// event every <see cref="EventsOptions.ProgressInterval"/>.
/// </summary>
public sealed partial class EventDispatcher : BackgroundService
{
    private readonly EventHub _hub;
    private readonly EventPayloads _payloads;
    private readonly ReleaseService _releases;
    private readonly NotificationLog _notifications;
    private readonly DeliveryTelemetry _telemetry;
    private readonly EventsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EventDispatcher> _logger;
    private readonly Channel<Signal> _signals = Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<string, byte> _progressDirty = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _deployDirty = new(StringComparer.Ordinal);

    // Owned by the dispatch loop only.
    private readonly Dictionary<string, ReleaseRecord> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (double? Progress, long? Eta, long At)> _lastProgress = new(StringComparer.Ordinal);
    private byte[]? _lastSummary;
    private long _lastSummaryAt;
    private int _offeringDirty;
    private int _summaryDirty = 1;

    public EventDispatcher(
        EventHub hub,
        EventPayloads payloads,
        ReleaseService releases,
        DiscoveryService discovery,
        DeployRecordStore deployRecords,
        UpstreamMonitor upstream,
        DiskSpaceMonitor disk,
        NotificationLog notifications,
        DeliveryTelemetry telemetry,
        EventsOptions options,
        TimeProvider timeProvider,
        ILogger<EventDispatcher> logger)
    {
        _hub = hub;
        _payloads = payloads;
        _releases = releases;
        _notifications = notifications;
        _telemetry = telemetry;
        _options = options;
        _time = timeProvider;
        _logger = logger;

        releases.Moved += moved => Post(new MovedSignal(moved));
        releases.Progress.Changed += id =>
        {
            Mark(_progressDirty, id);
            Volatile.Write(ref _summaryDirty, 1); // the summary lists running transfers with their speed
        };
        deployRecords.Updated += id => Mark(_deployDirty, id);
        discovery.Discovered += () => Flag(ref _offeringDirty);
        discovery.Completed += _ => Flag(ref _summaryDirty);
        upstream.Changed += (before, after) => Post(new UpstreamSignal(before, after));
        disk.Sampled += (before, after) => Post(new DiskSignal(before, after));
    }

    /// <summary>Primes the hub with the state found at start, before the engines recover and before the API listens.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await _payloads.PrimeAsync(_hub, cancellationToken).ConfigureAwait(false);
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        TimeSpan? wait = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await WaitAsync(wait, stoppingToken).ConfigureAwait(false))
                {
                    return;
                }

                while (_signals.Reader.TryRead(out var signal))
                {
                    await HandleAsync(signal, stoppingToken).ConfigureAwait(false);
                }

                wait = await FlushAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
#pragma warning disable CA1031 // A failed read must not end the streams: that event is lost, the next change is published.
            catch (Exception e)
#pragma warning restore CA1031
            {
                LogDispatchFailed(e);
                wait = TimeSpan.FromSeconds(1);
            }
        }
    }

    /// <summary>Waits for a signal, or until <paramref name="wait"/> has passed (deferred progress); false when stopping.</summary>
    private async Task<bool> WaitAsync(TimeSpan? wait, CancellationToken stoppingToken)
    {
        if (wait is null)
        {
            return await _signals.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false);
        }

        using var timer = new CancellationTokenSource(wait.Value, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timer.Token, stoppingToken);
        try
        {
            return await _signals.Reader.WaitToReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            return true;
        }
    }

    private async Task HandleAsync(Signal signal, CancellationToken cancellationToken)
    {
        switch (signal)
        {
            case MovedSignal { Moved: var moved }:
                await OnMovedAsync(moved, cancellationToken).ConfigureAwait(false);
                break;
            case UpstreamSignal { After.State: UpstreamState.Unreachable } upstream:
                Notify(NotificationKinds.UpstreamUnreachable, "warning", "upstream",
                    $"The upstream is unreachable: {upstream.After.LastError?.Message ?? "no answer"}", null);
                Volatile.Write(ref _summaryDirty, 1);
                break;
            case UpstreamSignal { Before.State: UpstreamState.Unreachable, After.State: UpstreamState.Reachable }:
                Notify(NotificationKinds.UpstreamBack, "info", "upstream", "The upstream is reachable again", null);
                Volatile.Write(ref _summaryDirty, 1);
                break;
            case UpstreamSignal:
                Volatile.Write(ref _summaryDirty, 1);
                break;
            case DiskSignal { After: var after } disk:
                if (after.Low && disk.Before?.Low != true)
                {
                    Notify(NotificationKinds.DiskLow, "warning", "storage", after.FreeBytes is { } free
                        ? $"Disk space is low in {after.Path}: {free} bytes free (delivery buffer {after.BufferBytes} bytes)"
                        : $"The free space of {after.Path} cannot be read", null);
                }
                else if (!after.Low && disk.Before?.Low == true)
                {
                    Notify(NotificationKinds.DiskRecovered, "info", "storage", $"Disk space is sufficient again in {after.Path}: {after.FreeBytes} bytes free", null);
                }

                if (disk.Before is null || disk.Before.FreeBytes != after.FreeBytes || disk.Before.Low != after.Low || disk.Before.BufferBytes != after.BufferBytes)
                {
                    Volatile.Write(ref _summaryDirty, 1);
                }

                break;
        }
    }

    private async Task OnMovedAsync(ReleaseMoved moved, CancellationToken cancellationToken)
    {
        var (before, after) = (moved.Before, moved.After);
        var id = after.CatalogId;
        if (IsRunning(after))
        {
            _running[id] = after;
        }
        else
        {
            _running.Remove(id);
        }

        if (EventPayloads.IsOnDevice(after) || EventPayloads.IsOnDevice(before))
        {
            var status = EventPayloads.StatusOf(after, _releases.Progress.Get(id));
            _lastProgress[id] = (status.Progress, status.Eta, _time.GetTimestamp());
            _hub.Publish(EventStreams.Delivery, EventPayloads.Delivery(status), id);
        }

        if (EventPayloads.IsInDeploy(after) || EventPayloads.IsInDeploy(before))
        {
            _deployDirty.TryRemove(id, out _);
            _hub.Publish(EventStreams.Deploy, await _payloads.DeployAsync(after, cancellationToken).ConfigureAwait(false), id, forget: !EventPayloads.IsInDeploy(after));
        }

        if (OfferingList.IsOffer(before) || OfferingList.IsOffer(after))
        {
            Volatile.Write(ref _offeringDirty, 1);
        }

        switch (moved.Action)
        {
            case ReleaseAction.FailDelivery when _telemetry.TakeFailureReason(id) == DeliveryFailureReason.Signature:
                Notify(NotificationKinds.SignatureRefused, "error", "security", $"A signature was refused: the delivery of {id} failed: {after.ErrMsg}", Release(id));
                break;
            case ReleaseAction.FailDelivery:
                Notify(NotificationKinds.DeliveryFailed, "error", "delivery", $"The delivery of {id} failed: {after.ErrMsg}", Release(id));
                break;
            case ReleaseAction.FailDeploy:
                Notify(NotificationKinds.DeployFailed, "error", "deploy", $"The install of {id} failed: {after.ErrMsg}", Release(id));
                break;
        }

        // The outbox grew with the move (a server upstream): the summary counts it.
        Volatile.Write(ref _summaryDirty, 1);
    }

    /// <summary>Publishes what was deferred; returns how long until something deferred is due (null: nothing).</summary>
    private async Task<TimeSpan?> FlushAsync(CancellationToken cancellationToken)
    {
        TimeSpan? next = null;
        foreach (var id in _progressDirty.Keys)
        {
            if (await PublishProgressAsync(id, cancellationToken).ConfigureAwait(false) is { } due)
            {
                next = next is null || due < next ? due : next;
            }
        }

        foreach (var id in _deployDirty.Keys)
        {
            _deployDirty.TryRemove(id, out _);
            if (await _releases.FindAsync(id, cancellationToken).ConfigureAwait(false) is { } release && EventPayloads.IsInDeploy(release))
            {
                _hub.Publish(EventStreams.Deploy, await _payloads.DeployAsync(release, cancellationToken).ConfigureAwait(false), id);
            }
        }

        if (Interlocked.Exchange(ref _offeringDirty, 0) == 1)
        {
            _hub.Publish(EventStreams.Offering, await _payloads.OfferingAsync(cancellationToken).ConfigureAwait(false), "");
        }

        if (Volatile.Read(ref _summaryDirty) == 1)
        {
            var since = _time.GetElapsedTime(_lastSummaryAt);
            if (_lastSummary is not null && since < _options.SummaryInterval)
            {
                var due = _options.SummaryInterval - since;
                next = next is null || due < next ? due : next;
            }
            else
            {
                Volatile.Write(ref _summaryDirty, 0);
                _lastSummaryAt = _time.GetTimestamp();
                var summary = await _payloads.SummaryAsync(cancellationToken).ConfigureAwait(false);
                if (_lastSummary is null || !summary.AsSpan().SequenceEqual(_lastSummary))
                {
                    _lastSummary = summary;
                    _hub.Publish(EventStreams.Agent, summary, "");
                }
            }
        }

        return next;
    }

    /// <summary>Publishes the live progress of a running release unless it was published less than an interval ago (then: when it is due).</summary>
    private async Task<TimeSpan?> PublishProgressAsync(string id, CancellationToken cancellationToken)
    {
        var last = _lastProgress.GetValueOrDefault(id);
        var since = _time.GetElapsedTime(last.At);
        if (last.At != 0 && since < _options.ProgressInterval)
        {
            return _options.ProgressInterval - since;
        }

        _progressDirty.TryRemove(id, out _);
        if (!_running.TryGetValue(id, out var release))
        {
            release = await _releases.FindAsync(id, cancellationToken).ConfigureAwait(false);
            if (release is null || !IsRunning(release))
            {
                return null; // it stopped meanwhile: its move was (or will be) published with the final numbers
            }

            _running[id] = release;
        }

        if (_releases.Progress.Get(id) is not { } live)
        {
            return null;
        }

        var status = EventPayloads.StatusOf(release, live);
        if (status.Progress == last.Progress && status.Eta == last.Eta)
        {
            return null;
        }

        _lastProgress[id] = (status.Progress, status.Eta, _time.GetTimestamp());
        _hub.Publish(EventStreams.Delivery, EventPayloads.Delivery(status), id);
        if (release.Position is { State: ReleaseState.Deploy })
        {
            _hub.Publish(EventStreams.Deploy, await _payloads.DeployAsync(release, cancellationToken).ConfigureAwait(false), id);
        }

        return null;
    }

    private void Notify(string kind, string severity, string category, string message, NotificationEntity? entity)
    {
        var notification = _notifications.Add(kind, severity, category, message, entity, _hub.BootId);
        LogNotification(kind, message);
        _hub.Publish(EventStreams.Notifications, EventPayloads.Notification(notification));
    }

    private static NotificationEntity Release(string catalogId) => new("release", catalogId);

    private static bool IsRunning(ReleaseRecord release) =>
        release.Position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Start or DeliveryStatus.InProgress }
            or { State: ReleaseState.Deploy, DeployStatus: DeploymentStatus.Installing };

    private void Post(Signal signal) => _signals.Writer.TryWrite(signal);

    private void Mark(ConcurrentDictionary<string, byte> dirty, string id)
    {
        if (dirty.TryAdd(id, 0))
        {
            _signals.Writer.TryWrite(WakeSignal.Instance);
        }
    }

    private void Flag(ref int flag)
    {
        if (Interlocked.Exchange(ref flag, 1) == 0)
        {
            _signals.Writer.TryWrite(WakeSignal.Instance);
        }
    }

    private abstract record Signal;

    private sealed record MovedSignal(ReleaseMoved Moved) : Signal;

    private sealed record UpstreamSignal(UpstreamStatus Before, UpstreamStatus After) : Signal;

    private sealed record DiskSignal(DiskSpace? Before, DiskSpace After) : Signal;

    private sealed record WakeSignal : Signal
    {
        public static readonly WakeSignal Instance = new();
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "An event could not be published")]
    private partial void LogDispatchFailed(Exception exception);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Notification {Kind}: {Message}")]
    private partial void LogNotification(string kind, string message);
}
