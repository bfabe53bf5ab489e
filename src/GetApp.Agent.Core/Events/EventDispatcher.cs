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
    private byte[]? _lastOfferingHash;
    private long _lastSummaryAt;
    private int _offeringDirty;

    // An offering change held back while nobody followed the stream: published when a client comes.
    private int _offeringOwed;
    private int _summaryDirty = 1;

    public EventDispatcher(
        EventHub hub,
        EventPayloads payloads,
        ReleaseService releases,
        DiscoveryService discovery,
        DeployRecordStore deployRecords,
        UpstreamMonitor upstream,
        DiskSampler disk,
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
        // A discovery that wrote nothing changed no offer: the offering of a large catalog is not built again to find that out.
        discovery.Discovered += () =>
        {
            if (discovery.LastOutcome is not { Written: 0 })
            {
                Flag(ref _offeringDirty);
            }
        };
        discovery.Completed += _ => Flag(ref _summaryDirty);
        hub.Subscribed += streams =>
        {
            if ((streams & EventStreams.Offering) != 0 && Volatile.Read(ref _offeringOwed) == 1)
            {
                // A client resuming with Last-Event-ID missed the change held back: it follows at once.
                Flag(ref _offeringDirty);
            }
        };
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
            case UpstreamSignal upstream:
                Notify(NotificationRules.ForUpstream(upstream.Before, upstream.After));
                Volatile.Write(ref _summaryDirty, 1);
                break;
            case DiskSignal { Before: var before, After: var after }:
                Notify(NotificationRules.ForDisk(before, after));
                if (before is null || before.FreeBytes != after.FreeBytes || before.Low != after.Low || before.BufferBytes != after.BufferBytes)
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

        Notify(NotificationRules.ForMove(moved, moved.Action == ReleaseAction.FailDelivery ? _telemetry.TakeFailureReason(id) : null));

        // The outbox grew with the move (a server upstream): the summary counts it.
        Volatile.Write(ref _summaryDirty, 1);
    }

    private void Notify(NotificationDraft? draft)
    {
        if (draft is null)
        {
            return;
        }

        var notification = _notifications.Add(draft.Kind, draft.Severity, draft.Category, draft.Message, draft.Entity, _hub.BootId);
        LogNotification(draft.Kind, draft.Message);
        _hub.Publish(EventStreams.Notifications, EventPayloads.Notification(notification));
    }

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

    private sealed record DiskSignal(DiskSample? Before, DiskSample After) : Signal;

    private sealed record WakeSignal : Signal
    {
        public static readonly WakeSignal Instance = new();
    }

    [LoggerMessage(EventId = 5001, Level = LogLevel.Warning, Message = "An event could not be published")]
    private partial void LogDispatchFailed(Exception exception);

    [LoggerMessage(EventId = 5002, Level = LogLevel.Information, Message = "Notification {Kind}: {Message}")]
    private partial void LogNotification(string kind, string message);
}
