using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Upstream;
using GetApp.Agent.Core.Upstream.GetAppServer;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Fleet;

/// <summary>
/// The child's side of fleet control (docs/fleet.md). While <c>orchestrateMe</c> or <c>reactiveMode</c> is on and the
/// upstream is a GetApp server or a parent agent, it registers with the upstream, applies what the parent decided about
/// it (an accepted orchestration: <c>orchestratedBy</c>, <c>orchestratorId</c> and the parent's platform), and keeps the
/// command channel open: commands go to <see cref="ManagedCommandRunner"/>; a channel silent for
/// <see cref="FleetOptions.ChildSilenceLimit"/> (the parent pings every second) or dropped is opened again, after a
/// backoff that doubles up to <see cref="FleetOptions.ReconnectMax"/>. Turning both flags off unregisters. The outcomes
/// of commands are sent to the parent in order, again until it acknowledges them.
/// </summary>
public sealed partial class ManagedClient : BackgroundService
{
    private const string RegisterPath = "/api/cdn/devices/register";
    private const string ResultPath = "/api/cdn/devices/commands/result";

    private readonly LiveSettings _settings;
    private readonly DeviceService _device;
    private readonly ManagedCommandRunner _runner;
    private readonly ManagedCommandLog _log;
    private readonly DiscoveryService _discovery;
    private readonly FleetOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ManagedClient> _logger;
    private readonly GetAppServerClient? _client;
    private readonly SemaphoreSlim _flagsChanged = new(0, 1);
    private readonly SemaphoreSlim _resultsWake = new(0, 1);
    private readonly Lock _gate = new();
    private CancellationTokenSource? _session;
    private (bool OrchestrateMe, bool ReactiveMode) _flags;
    private Status _status = new("off", null, null, null, null, null, null);
    private string? _lastRefusal;
    private string? _lastFailure;

    public ManagedClient(LiveSettings settings, DeviceService device, ManagedCommandRunner runner, ManagedCommandLog log, DiscoveryService discovery,
        FleetOptions options, TimeProvider timeProvider, ILogger<ManagedClient> logger, GetAppServerClient? client = null)
    {
        _settings = settings;
        _device = device;
        _runner = runner;
        _log = log;
        _discovery = discovery;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        _client = client;
        runner.Changed += () => Release(_resultsWake);
        runner.SendMetadata = SendMetadataAsync;
        settings.Changed += OnSettingsChanged;
    }

    private sealed record Status(string State, string? ParentId, string? ParentUrl, string? Mode, OrchestrationDto? Orchestration, DateTimeOffset? ConnectedAt, string? LastError);

    /// <summary>How the link to the parent stands, with the latest commands (<c>GET /api/v2/agent/managed</c>).</summary>
    public async Task<ManagedStatusDto> SnapshotAsync(CancellationToken cancellationToken)
    {
        var status = _status;
        var recent = await _log.RecentAsync(20, cancellationToken).ConfigureAwait(false);
        return new ManagedStatusDto(_settings.Current.OrchestrateMe, _settings.Current.ReactiveMode, status.State, status.ParentId, status.ParentUrl, status.Mode,
            status.Orchestration, status.ConnectedAt, status.LastError, [.. recent.Select(ManagedCommandEntryDto.From)]);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var results = SendResultsAsync(stoppingToken);
        var backoff = _options.ReconnectMin;
        var registered = false;
        while (!stoppingToken.IsCancellationRequested)
        {
            var current = _settings.Current;
            _flags = (current.OrchestrateMe, current.ReactiveMode);
            if (_client is null || !(current.OrchestrateMe || current.ReactiveMode))
            {
                _status = new Status("off", null, null, null, null, null, _status.LastError);
                if (_client is not null && registered)
                {
                    registered = !await UnregisterAsync(stoppingToken).ConfigureAwait(false);
                }

                if (!registered)
                {
                    await ClearOrchestrationAsync(stoppingToken).ConfigureAwait(false);
                }

                _status = new Status("off", null, null, null, null, null,
                    _client is null && (current.OrchestrateMe || current.ReactiveMode) ? "the upstream is not a GetApp server or parent agent: fleet control needs one" : null);
                if (!await WaitAsync(_flagsChanged, registered ? backoff : Timeout.InfiniteTimeSpan, stoppingToken).ConfigureAwait(false) && registered)
                {
                    backoff = Next(backoff);
                }

                continue;
            }

            using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            lock (_gate)
            {
                _session = session;
            }

            try
            {
                _status = _status with { State = "connecting" };
                var state = await RegisterAsync(session.Token).ConfigureAwait(false);
                registered = true;
                if (state is not null)
                {
                    if (await RunChannelAsync(state, session.Token).ConfigureAwait(false))
                    {
                        backoff = _options.ReconnectMin;
                    }
                }
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                // The flags changed: register again at once with the new ones.
                continue;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            catch (Exception e) when (e is UpstreamException or HttpRequestException or IOException or JsonException)
            {
                Fail(e.Message);
            }
            finally
            {
                lock (_gate)
                {
                    _session = null;
                }
            }

            if (_status.State == "connected")
            {
                _status = _status with { State = "waiting" };
            }
            else if (_status.State == "refused")
            {
                // The parent said no (it is itself orchestrated, or not a parent at all): ask again, but rarely.
                backoff = _options.ReconnectMax;
            }

            await WaitAsync(_flagsChanged, Jittered(backoff), stoppingToken).ConfigureAwait(false);
            backoff = Next(backoff);
        }

        await results.ConfigureAwait(false);
    }

    private async Task DiscoverQuietlyAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _discovery.DiscoverAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is UpstreamException or OperationCanceledException)
        {
            // Logged by discovery; the periodic one tries again.
        }
    }

    private void OnSettingsChanged(AgentSettings settings)
    {
        if ((settings.OrchestrateMe, settings.ReactiveMode) == _flags)
        {
            return;
        }

        lock (_gate)
        {
            _session?.Cancel();
        }

        Release(_flagsChanged);
    }

    /// <summary>Logs a refusal once (asked again every 15 s, a parent that keeps refusing would fill the log).</summary>
    private void Refused(int statusCode, string message)
    {
        var key = $"{statusCode} {message}";
        if (key != _lastRefusal)
        {
            _lastRefusal = key;
            LogRefused(statusCode, message);
        }
    }

    private void Fail(string message)
    {
        _status = _status with { LastError = message };
        // Once per kind of failure until the channel is up again: a parent away for hours is one line, not one per retry.
        if (message != _lastFailure)
        {
            _lastFailure = message;
            LogChannelDown(message);
        }
    }

    private TimeSpan Next(TimeSpan backoff) => TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, _options.ReconnectMax.Ticks));

    /// <summary>±20 %: children cut off together by a parent restart do not all come back in the same instant.</summary>
    private static TimeSpan Jittered(TimeSpan backoff) => backoff * (0.8 + (Random.Shared.NextDouble() * 0.4));

    /// <summary>Waits for a signal or the timeout; true when signalled. Never throws (false once stopping).</summary>
    private async Task<bool> WaitAsync(SemaphoreSlim signal, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            return await signal.WaitAsync(timeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    private static void Release(SemaphoreSlim signal)
    {
        try
        {
            signal.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already signalled.
        }
    }

    private static string Message(string body)
    {
        try
        {
            if (JsonNode.Parse(body) is JsonObject o && o["message"] is JsonValue v && v.TryGetValue<string>(out var message))
            {
                return message;
            }
        }
        catch (JsonException)
        {
        }

        return body.Length <= 300 ? body : body[..300] + "…";
    }

    [LoggerMessage(EventId = 7110, Level = LogLevel.Information, Message = "Command channel to parent {ParentId} open (mode {Mode}, orchestration {Orchestration})")]
    private partial void LogConnected(string parentId, string mode, string orchestration);

    [LoggerMessage(EventId = 7111, Level = LogLevel.Warning, Message = "Command channel to the parent down: {Reason}")]
    private partial void LogChannelDown(string reason);

    [LoggerMessage(EventId = 7112, Level = LogLevel.Warning, Message = "The parent refused fleet control ({StatusCode}): {Reason}")]
    private partial void LogRefused(int statusCode, string reason);

    [LoggerMessage(EventId = 7113, Level = LogLevel.Information, Message = "Orchestrated by {ParentId}; platform {Platform}")]
    private partial void LogOrchestrated(string parentId, string platform);

    [LoggerMessage(EventId = 7114, Level = LogLevel.Information, Message = "No longer orchestrated by {ParentId}")]
    private partial void LogNoLongerOrchestrated(string parentId);

    [LoggerMessage(EventId = 7115, Level = LogLevel.Warning, Message = "The parent did not take the outcome of command {CommandId} ({StatusCode}): {Reason}")]
    private partial void LogResultRefused(string commandId, int statusCode, string reason);

    [LoggerMessage(EventId = 7116, Level = LogLevel.Debug, Message = "Outcomes of the parent's commands wait for the parent: {Reason}")]
    private partial void LogResultsWaiting(string reason);
}
