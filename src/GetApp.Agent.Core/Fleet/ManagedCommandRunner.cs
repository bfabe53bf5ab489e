using System.Collections.Concurrent;
using System.Threading.Channels;
using GetApp.Agent.Core.Delivery;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Fleet;

/// <summary>
/// Runs the parent's commands on the child (docs/fleet.md), one at a time in the order received, through the very
/// services the child's own API uses: the delivery and deploy engines and discovery, so every move is checked by the one
/// lifecycle table. A refusal carries the lifecycle's own message. A command that starts something long (a delivery, an
/// install) is <c>accepted</c>, then <c>done</c> or <c>failed</c> when the release gets there. Each command is recorded
/// under its id before it runs (<see cref="ManagedCommandLog"/>): one sent again is not run again.
/// </summary>
public sealed partial class ManagedCommandRunner : BackgroundService
{
    private readonly Channel<(ManagedCommandDto Command, string ParentId)> _queue =
        Channel.CreateBounded<(ManagedCommandDto, string)>(new BoundedChannelOptions(ManagedChannel.Capacity) { SingleReader = true });

    private readonly ConcurrentDictionary<string, (string CommandId, FleetAction Action)> _watches = new(StringComparer.Ordinal);
    private readonly ManagedCommandLog _log;
    private readonly ReleaseService _releases;
    private readonly DeliveryEngine _delivery;
    private readonly DeployEngine _deploy;
    private readonly DiscoveryService _discovery;
    private readonly ILogger<ManagedCommandRunner> _logger;

    public ManagedCommandRunner(ManagedCommandLog log, ReleaseService releases, DeliveryEngine delivery, DeployEngine deploy, DiscoveryService discovery,
        ILogger<ManagedCommandRunner> logger)
    {
        _log = log;
        _releases = releases;
        _delivery = delivery;
        _deploy = deploy;
        _discovery = discovery;
        _logger = logger;
        releases.Moved += OnMoved;
    }

    /// <summary>Raised when a command's status changed and is to be reported to the parent.</summary>
    public event Action? Changed;

    /// <summary>Sends this agent's fresh device data to its parent (<c>MetadataRequest</c>); returns null, or why it could not.</summary>
    public Func<CancellationToken, Task<string?>>? SendMetadata { get; set; }

    /// <summary>Takes a command from the channel: a new one is recorded and queued; one already known is reported again.</summary>
    public async Task AcceptAsync(ManagedCommandDto command, string parentId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        if (FleetActions.Parse(command.Action) is not { } action)
        {
            // A newer parent's action this agent does not know: recorded under its own name (never as another action, which
            // a restart would then run) and refused, so the operator sees why.
            if (await _log.TryBeginAsync(command.CommandId, parentId, command.Action ?? "", command.CatalogId, cancellationToken).ConfigureAwait(false) is null)
            {
                await FinishAsync(command.CommandId, FleetCommandStatus.Refused, ManagedCommandLog.UnknownActionMessage(command.Action ?? ""), cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        if (await _log.TryBeginAsync(command.CommandId, parentId, action, command.CatalogId, cancellationToken).ConfigureAwait(false) is { } known)
        {
            LogRepeated(command.CommandId, FleetActions.NameOf(known.Status));
            await _log.ReportAgainAsync(command.CommandId, cancellationToken).ConfigureAwait(false);
            Changed?.Invoke();
            return;
        }

        Changed?.Invoke(); // "received"
        await _queue.Writer.WriteAsync((command, parentId), cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // What a stop cut off: a command received but not run is run now; one running is watched again.
        try
        {
            foreach (var entry in await _log.UnfinishedAsync(stoppingToken).ConfigureAwait(false))
            {
                if (entry.Action is not { } action)
                {
                    Changed?.Invoke(); // the log refused it (never run): its refusal is to be reported
                    continue;
                }

                if (entry.Status == FleetCommandStatus.Accepted && entry.CatalogId is { } catalogId)
                {
                    _watches[catalogId] = (entry.CommandId, action);
                    if (await _releases.FindAsync(catalogId, stoppingToken).ConfigureAwait(false) is { } release)
                    {
                        await JudgeAsync(entry.CommandId, action, release, stoppingToken).ConfigureAwait(false);
                    }
                }
                else if (entry.Status == FleetCommandStatus.Received)
                {
                    var command = new ManagedCommandDto(entry.CommandId, entry.ActionName, entry.CatalogId, entry.ReceivedAt, entry.ReceivedAt);
                    if (!await AlreadyDoneAsync(command, stoppingToken).ConfigureAwait(false))
                    {
                        await RunAsync(command, stoppingToken).ConfigureAwait(false);
                    }
                }
            }

            await foreach (var (command, _) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await RunAsync(command, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>
    /// A command cut off by a stop after it moved its release but before its outcome was recorded: its move is not made
    /// again (the lifecycle would refuse it, and the operator would read a refusal of what did happen). A start that took
    /// is watched; a stop, cancel or delete that took is done.
    /// </summary>
    private async Task<bool> AlreadyDoneAsync(ManagedCommandDto command, CancellationToken cancellationToken)
    {
        if (command.CatalogId is not { } catalogId || await _releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false) is not { } release)
        {
            return false;
        }

        var action = FleetActions.Parse(command.Action)!.Value;
        var position = release.Position;
        switch (action)
        {
            case FleetAction.DeliveryStart when position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Start or DeliveryStatus.InProgress }:
            case FleetAction.DeployStart when position.State is ReleaseState.Deploy && position.DeployStatus is not (DeploymentStatus.Error or DeploymentStatus.Cancelled):
                await WatchAsync(command.CommandId, action, catalogId, cancellationToken).ConfigureAwait(false);
                return true;
            case FleetAction.DeliveryStop when position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Pause }:
            case FleetAction.DeliveryCancel when position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Cancel }:
            case FleetAction.DeliveryDelete when position.State is ReleaseState.Deleted:
                await FinishAsync(command.CommandId, FleetCommandStatus.Done, $"release '{catalogId}' is now {Describe(release)}", cancellationToken).ConfigureAwait(false);
                return true;
            default:
                return false;
        }
    }

    private async Task RunAsync(ManagedCommandDto command, CancellationToken cancellationToken)
    {
        var action = FleetActions.Parse(command.Action)!.Value;
        var catalogId = command.CatalogId;
        LogRunning(command.CommandId, command.Action, catalogId ?? "-");
        try
        {
            switch (action)
            {
                case FleetAction.Discovery:
                    var answer = await _discovery.DiscoverAsync(cancellationToken).ConfigureAwait(false);
                    await FinishAsync(command.CommandId, FleetCommandStatus.Done, $"{answer.Count} release(s) offered", cancellationToken).ConfigureAwait(false);
                    break;
                case FleetAction.Push:
                    await _discovery.DiscoverAsync(cancellationToken).ConfigureAwait(false);
                    var pushed = await _releases.FindAsync(catalogId!, cancellationToken).ConfigureAwait(false);
                    await (pushed switch
                    {
                        null => FinishAsync(command.CommandId, FleetCommandStatus.Failed, $"release '{catalogId}' was not in the parent's answer to this agent's discovery", cancellationToken),
                        { State: ReleaseState.Offering } => FinishAsync(command.CommandId, FleetCommandStatus.Failed, $"release '{catalogId}' is offered to this agent, but not pushed", cancellationToken),
                        { State: ReleaseState.Push } => FinishAsync(command.CommandId, FleetCommandStatus.Done, $"release '{catalogId}' is pushed to this agent", cancellationToken),
                        _ => FinishAsync(command.CommandId, FleetCommandStatus.Done, $"release '{catalogId}' is already on this agent ({Wire.Of(pushed.State)})", cancellationToken),
                    }).ConfigureAwait(false);
                    break;
                case FleetAction.DeliveryStart:
                    var current = await _releases.FindAsync(catalogId!, cancellationToken).ConfigureAwait(false);
                    // A paused delivery is started again by resuming it (its bytes are kept).
                    var started = current?.Position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Pause }
                        ? await _delivery.ResumeDeliveryAsync(catalogId!, cancellationToken).ConfigureAwait(false)
                        : await _delivery.StartDeliveryAsync(catalogId!, cancellationToken).ConfigureAwait(false);
                    await LongMoveAsync(command.CommandId, action, catalogId!, started, cancellationToken).ConfigureAwait(false);
                    break;
                case FleetAction.DeliveryStop:
                    await MoveAsync(command.CommandId, await _delivery.PauseDeliveryAsync(catalogId!, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                    break;
                case FleetAction.DeliveryCancel:
                    await MoveAsync(command.CommandId, await _delivery.CancelDeliveryAsync(catalogId!, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                    break;
                case FleetAction.DeliveryDelete:
                    await MoveAsync(command.CommandId, await _delivery.DeleteDeliveryAsync(catalogId!, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
                    break;
                case FleetAction.DeployStart:
                    var deploy = await _deploy.StartAsync(catalogId!, cancellationToken).ConfigureAwait(false);
                    if (deploy.Kind == DeployResultKind.Ok)
                    {
                        await WatchAsync(command.CommandId, action, catalogId!, cancellationToken).ConfigureAwait(false);
                    }
                    else
                    {
                        await FinishAsync(command.CommandId, FleetCommandStatus.Refused, deploy.Message, cancellationToken).ConfigureAwait(false);
                    }

                    break;
                case FleetAction.MetadataRequest:
                    var problem = SendMetadata is { } send ? await send(cancellationToken).ConfigureAwait(false) : "this agent has no parent to send it to";
                    await FinishAsync(command.CommandId, problem is null ? FleetCommandStatus.Done : FleetCommandStatus.Failed,
                        problem ?? "device data sent", cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        catch (UpstreamException e)
        {
            await FinishAsync(command.CommandId, FleetCommandStatus.Failed, e.Message, cancellationToken).ConfigureAwait(false);
        }
    }

    private Task MoveAsync(string commandId, MoveResult result, CancellationToken cancellationToken) =>
        result.Succeeded
            ? FinishAsync(commandId, FleetCommandStatus.Done, $"release '{result.Release!.CatalogId}' is now {Describe(result.Release)}", cancellationToken)
            : FinishAsync(commandId, FleetCommandStatus.Refused, result.Message, cancellationToken);

    private async Task LongMoveAsync(string commandId, FleetAction action, string catalogId, MoveResult result, CancellationToken cancellationToken)
    {
        if (!result.Succeeded)
        {
            await FinishAsync(commandId, FleetCommandStatus.Refused, result.Message, cancellationToken).ConfigureAwait(false);
            return;
        }

        await WatchAsync(commandId, action, catalogId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Accepted: the command's outcome comes with the release's later moves (or is known already).</summary>
    private async Task WatchAsync(string commandId, FleetAction action, string catalogId, CancellationToken cancellationToken)
    {
        _watches[catalogId] = (commandId, action);
        await _log.SetAsync(commandId, FleetCommandStatus.Accepted, null, cancellationToken).ConfigureAwait(false);
        Changed?.Invoke();
        if (await _releases.FindAsync(catalogId, cancellationToken).ConfigureAwait(false) is { } release)
        {
            await JudgeAsync(commandId, action, release, cancellationToken).ConfigureAwait(false);
        }
    }

    private void OnMoved(ReleaseMoved moved)
    {
        if (_watches.TryGetValue(moved.After.CatalogId, out var watch))
        {
            _ = JudgeAsync(watch.CommandId, watch.Action, moved.After, CancellationToken.None);
        }
    }

    /// <summary>Ends a watched command once its release got where it was sent, or stopped short of it.</summary>
    private async Task JudgeAsync(string commandId, FleetAction action, ReleaseRecord release, CancellationToken cancellationToken)
    {
        var outcome = action switch
        {
            FleetAction.DeliveryStart => release.Position switch
            {
                { State: ReleaseState.Downloaded or ReleaseState.Deploy or ReleaseState.Installed } => (FleetCommandStatus.Done, "delivered"),
                { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Error } => (FleetCommandStatus.Failed, release.ErrMsg ?? "the delivery failed"),
                { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Cancel } => (FleetCommandStatus.Failed, "the delivery was cancelled"),
                { State: ReleaseState.Delivery or ReleaseState.Offering or ReleaseState.Push } => ((FleetCommandStatus?)null, (string?)null),
                _ => (FleetCommandStatus.Failed, $"the release is {Wire.Of(release.State)}"),
            },
            FleetAction.DeployStart => release.Position switch
            {
                { State: ReleaseState.Installed } => (FleetCommandStatus.Done, "installed"),
                { State: ReleaseState.Deploy, DeployStatus: DeploymentStatus.Error } => (FleetCommandStatus.Failed, release.ErrMsg ?? "the install failed"),
                { State: ReleaseState.Deploy, DeployStatus: DeploymentStatus.Cancelled } => (FleetCommandStatus.Failed, "the install was cancelled"),
                { State: ReleaseState.Deploy or ReleaseState.Downloaded } => (null, null),
                _ => (FleetCommandStatus.Failed, $"the release is {Wire.Of(release.State)}"),
            },
            _ => (null, null),
        };
        if (outcome.Item1 is { } status && _watches.TryGetValue(release.CatalogId, out var watch) && watch.CommandId == commandId
            && _watches.TryRemove(new KeyValuePair<string, (string, FleetAction)>(release.CatalogId, watch)))
        {
            try
            {
                await FinishAsync(commandId, status, outcome.Item2, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException or OperationCanceledException)
            {
                LogNotRecorded(commandId, e.Message);
            }
        }
    }

    private async Task FinishAsync(string commandId, FleetCommandStatus status, string? message, CancellationToken cancellationToken)
    {
        await _log.SetAsync(commandId, status, message, cancellationToken).ConfigureAwait(false);
        LogFinished(commandId, FleetActions.NameOf(status), message ?? "");
        Changed?.Invoke();
    }

    private static string Describe(ReleaseRecord release) => release.State switch
    {
        ReleaseState.Delivery => $"delivery ({release.Position.DeliveryStatus})",
        ReleaseState.Deploy => $"deploy ({release.Position.DeployStatus})",
        _ => Wire.Of(release.State),
    };

    public override void Dispose()
    {
        _releases.Moved -= OnMoved;
        base.Dispose();
    }

    [LoggerMessage(EventId = 7100, Level = LogLevel.Information, Message = "Parent's command {CommandId}: {Action} {CatalogId}")]
    private partial void LogRunning(string commandId, string action, string catalogId);

    [LoggerMessage(EventId = 7101, Level = LogLevel.Information, Message = "Parent's command {CommandId} {Status}: {Message}")]
    private partial void LogFinished(string commandId, string status, string message);

    [LoggerMessage(EventId = 7102, Level = LogLevel.Debug, Message = "Parent's command {CommandId} sent again; it is {Status} here, not run again")]
    private partial void LogRepeated(string commandId, string status);

    [LoggerMessage(EventId = 7103, Level = LogLevel.Warning, Message = "The outcome of the parent's command {CommandId} could not be recorded: {Reason}")]
    private partial void LogNotRecorded(string commandId, string reason);
}
