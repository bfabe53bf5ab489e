using System.Collections.Concurrent;
using System.Text.Json;
using GetApp.Agent.Core.Events;
using GetApp.Agent.Core.Parent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Fleet;

/// <summary>
/// Feeds the <c>fleet</c> event stream (docs/fleet.md): a child's whole fleet entry (<see cref="FleetDeviceDto"/>)
/// whenever anything about it changes — registration, decision, channel open or closed, a report, a command. Changes are
/// gathered and each child's entry is rebuilt at most once per <see cref="FleetOptions.EventInterval"/>: a child reporting
/// progress every two seconds costs one entry, not one per report. While nobody follows the stream, nothing is built:
/// the children changed are only noted, and their entries are published as soon as a client comes (right after its
/// snapshot; an entry is a child's whole state, so a client resuming with <c>Last-Event-ID</c> gets the latest of each
/// child it missed a change of).
/// </summary>
public sealed partial class FleetEvents : BackgroundService
{
    private readonly FleetView _view;
    private readonly EventHub _hub;
    private readonly ChildRegistry _registry;
    private readonly FleetOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FleetEvents> _logger;
    private readonly ConcurrentDictionary<string, byte> _dirty = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);
    private readonly SemaphoreSlim _publishing = new(1, 1);
    private int _prompt;

    public FleetEvents(FleetView view, EventHub hub, ChildRegistry registry, ChildReports reports, ManagedChannels channels, FleetDispatcher dispatcher,
        FleetOptions options, TimeProvider timeProvider, ILogger<FleetEvents> logger)
    {
        _view = view;
        _hub = hub;
        _registry = registry;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        registry.Changed += Touch;
        reports.Accepted += Touch;
        channels.Changed += (deviceId, _) => Touch(deviceId);
        dispatcher.CommandsChanged += Touch;
        hub.Subscribed += streams =>
        {
            if ((streams & EventStreams.Fleet) != 0 && !_dirty.IsEmpty)
            {
                // Its snapshot lacks these children: they follow at once, not after the gathering delay (a page would
                // otherwise show "no children" for a moment).
                Volatile.Write(ref _prompt, 1);
                Wake();
            }
        };
    }

    /// <summary>Marks a child's entry to be published again.</summary>
    public void Touch(string deviceId)
    {
        _dirty[deviceId] = 0;
        Wake();
    }

    private void Wake()
    {
        if (_wake.CurrentCount == 0)
        {
            try
            {
                _wake.Release();
            }
            catch (SemaphoreFullException)
            {
                // Already awake.
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // Every child known at start is to be published once someone looks.
            foreach (var child in await _registry.ListAsync(null, ChildFilter.All, stoppingToken).ConfigureAwait(false))
            {
                _dirty[child.DeviceId] = 0;
            }
        }
        catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
        {
            LogFailed(e.Message);
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await _wake.WaitAsync(stoppingToken).ConfigureAwait(false);
                if (Interlocked.Exchange(ref _prompt, 0) == 0)
                {
                    await Task.Delay(_options.EventInterval, _timeProvider, stoppingToken).ConfigureAwait(false);
                }
                if (_hub.HasClients(EventStreams.Fleet))
                {
                    await PublishDirtyAsync(stoppingToken).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                LogFailed(e.Message);
            }
        }
    }

    private async Task PublishDirtyAsync(CancellationToken cancellationToken)
    {
        await _publishing.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            foreach (var deviceId in _dirty.Keys.Order(StringComparer.Ordinal))
            {
                _dirty.TryRemove(deviceId, out _);
                var entry = await _view.FleetDeviceAsync(deviceId, cancellationToken).ConfigureAwait(false);
                _hub.Publish(EventStreams.Fleet, Serialize(entry), deviceId, forget: entry.Removed);
            }
        }
        finally
        {
            _publishing.Release();
        }
    }

    private static byte[] Serialize(FleetDeviceDto entry) => JsonSerializer.SerializeToUtf8Bytes(entry, FleetJson.Context.FleetDeviceDto);

    [LoggerMessage(EventId = 7030, Level = LogLevel.Warning, Message = "The fleet event stream could not read the registry: {Reason}")]
    private partial void LogFailed(string reason);
}
