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
/// progress every two seconds costs one entry, not one per report. The hub keeps each child's latest entry, so a new
/// client's snapshot is the whole fleet.
/// </summary>
public sealed partial class FleetEvents : BackgroundService
{
    private readonly FleetView _view;
    private readonly EventHub _hub;
    private readonly FleetOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FleetEvents> _logger;
    private readonly ConcurrentDictionary<string, byte> _dirty = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);

    public FleetEvents(FleetView view, EventHub hub, ChildRegistry registry, ChildReports reports, ManagedChannels channels, FleetDispatcher dispatcher,
        FleetOptions options, TimeProvider timeProvider, ILogger<FleetEvents> logger)
    {
        _view = view;
        _hub = hub;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        registry.Changed += Touch;
        reports.Accepted += Touch;
        channels.Changed += (deviceId, _) => Touch(deviceId);
        dispatcher.CommandsChanged += Touch;
    }

    /// <summary>Marks a child's entry to be published again.</summary>
    public void Touch(string deviceId)
    {
        _dirty[deviceId] = 0;
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
            foreach (var entry in await _view.FleetAsync(stoppingToken).ConfigureAwait(false))
            {
                _hub.Prime(EventStreams.Fleet, entry.DeviceId, Serialize(entry));
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
                await Task.Delay(_options.EventInterval, _timeProvider, stoppingToken).ConfigureAwait(false);
                foreach (var deviceId in _dirty.Keys)
                {
                    _dirty.TryRemove(deviceId, out _);
                    var entry = await _view.FleetDeviceAsync(deviceId, stoppingToken).ConfigureAwait(false);
                    _hub.Publish(EventStreams.Fleet, Serialize(entry), deviceId, forget: entry.Removed);
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

    private static byte[] Serialize(FleetDeviceDto entry) => JsonSerializer.SerializeToUtf8Bytes(entry, FleetJson.Context.FleetDeviceDto);

    [LoggerMessage(EventId = 7030, Level = LogLevel.Warning, Message = "The fleet event stream could not read the registry: {Reason}")]
    private partial void LogFailed(string reason);
}
