using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using GetApp.Agent.Core.Device;
using GetApp.Agent.Core.Parent;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Fleet;

/// <summary>An operator's action (<c>POST /api/cdn/devices/action</c>), checked at the route.</summary>
/// <param name="DeviceIds">The children to act on; empty: every child of this agent's platform (orchestrated and accepted).</param>
public sealed record FleetActionRequest(FleetAction Action, string? CatalogId, IReadOnlyList<string> DeviceIds, TimeSpan? ExpiresIn);

/// <summary>What became of an action: the commands, or why none was queued (<see cref="StatusCode"/> 404 or 409).</summary>
public sealed record FleetActionOutcome(FleetActionAnswerDto? Answer, int StatusCode = 200, string? Problem = null);

/// <summary>
/// The parent's side of fleet control (docs/fleet.md): registrations, the operator's decisions and actions, and the
/// delivery of commands down the children's channels. A command is committed (<see cref="FleetCommandStore"/>) before
/// anyone hears about it, and goes down a child's channel in order, once per connection, until the child acknowledges
/// it: a child offline when it was given gets it when it comes back, and a parent restarted meanwhile loses none.
/// </summary>
public sealed partial class FleetDispatcher
{
    private static readonly byte[] CommandEvent = "event: command\nid: "u8.ToArray();
    private static readonly byte[] OrchestrationEvent = "event: orchestration\ndata: "u8.ToArray();
    private static readonly byte[] HelloEvent = "retry: 1000\n\nevent: hello\ndata: "u8.ToArray();

    private readonly FleetCommandStore _store;
    private readonly ManagedChannels _channels;
    private readonly ChildRegistry _registry;
    private readonly FleetPushes _pushes;
    private readonly DeviceService _device;
    private readonly FleetOptions _options;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<FleetDispatcher> _logger;
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _sending = new(StringComparer.Ordinal);

    public FleetDispatcher(FleetCommandStore store, ManagedChannels channels, ChildRegistry registry, FleetPushes pushes, DeviceService device,
        FleetOptions options, TimeProvider timeProvider, ILogger<FleetDispatcher> logger)
    {
        _store = store;
        _channels = channels;
        _registry = registry;
        _pushes = pushes;
        _device = device;
        _options = options;
        _timeProvider = timeProvider;
        _logger = logger;
        registry.IsOnline = channels.IsOnline;
        store.Failed += deviceId => CommandsChanged?.Invoke(deviceId);
    }

    /// <summary>Raised after a command of a device changed (queued, sent, reported, expired), with the device id.</summary>
    public event Action<string>? CommandsChanged;

    /// <summary>
    /// Null when this agent may manage children, else why not: a device that is itself orchestrated refuses to (GetApp's
    /// rule: no chains of orchestration).
    /// </summary>
    public async Task<string?> RefusalAsync(CancellationToken cancellationToken) =>
        (await _device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false)).OrchestratedBy is { } parent
            ? $"this agent is itself orchestrated by '{parent}', so it does not manage children (turn its orchestrateMe off to make it a fleet parent)"
            : null;

    /// <summary>A child registers (or registers again with new modes or data): how it stands with this parent.</summary>
    public async Task<ManagedStateDto> RegisterAsync(ChildRegistration registration, string? address, CancellationToken cancellationToken)
    {
        var child = await _registry.RegisterAsync(registration, address, cancellationToken).ConfigureAwait(false);
        LogRegistered(child.DeviceId, child.OrchestrateMe, child.ReactiveMode, child.Orchestration ?? "none");
        if (!child.OrchestrateMe && !child.ReactiveMode)
        {
            _channels.Close(child.DeviceId, "it no longer asks to be managed");
        }

        return await StateAsync(child, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>How <paramref name="child"/> stands with this parent (its registration answer, the channel's hello).</summary>
    public async Task<ManagedStateDto> StateAsync(ChildDevice child, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(child);
        return new ManagedStateDto(child.DeviceId, _device.DeviceId, child.Mode, child.IsManaged,
            await OrchestrationOfAsync(child, cancellationToken).ConfigureAwait(false), (long)_options.PingInterval.TotalMilliseconds);
    }

    /// <summary>The first frame of a new channel: the child's standing, so it knows the parent heard its registration.</summary>
    public async Task<byte[]> HelloFrameAsync(ChildDevice child, CancellationToken cancellationToken) =>
        Frame(HelloEvent, JsonSerializer.SerializeToUtf8Bytes(await StateAsync(child, cancellationToken).ConfigureAwait(false), FleetJson.Context.ManagedStateDto));

    /// <summary>The operator accepts or refuses children's orchestration; each child online hears it at once on its channel.</summary>
    public async Task<(IReadOnlyList<ChildDevice>? Children, string? Problem, bool NotFound)> DecideAsync(IReadOnlyList<string> deviceIds, bool accept, CancellationToken cancellationToken)
    {
        var decided = await _registry.DecideOrchestrationAsync(deviceIds, accept, cancellationToken).ConfigureAwait(false);
        foreach (var child in decided.Children ?? [])
        {
            LogDecided(child.DeviceId, accept ? "accepted" : "refused");
            if (_channels.Find(child.DeviceId) is { } channel)
            {
                var orchestration = await OrchestrationOfAsync(child, cancellationToken).ConfigureAwait(false);
                channel.TryWrite(Frame(OrchestrationEvent, JsonSerializer.SerializeToUtf8Bytes(orchestration, FleetJson.Context.OrchestrationDto)));
            }
        }

        if (accept)
        {
            // Commands may now go to them.
            foreach (var child in decided.Children ?? [])
            {
                await DispatchAsync(child.DeviceId, cancellationToken).ConfigureAwait(false);
            }
        }

        return decided;
    }

    /// <summary>Queues one command per target, then sends each to its child at once if its channel is open.</summary>
    public async Task<FleetActionOutcome> SubmitAsync(FleetActionRequest request, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (await RefusalAsync(cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return new FleetActionOutcome(null, 409, refusal);
        }

        var children = (await _registry.ListAsync(null, ChildFilter.All, cancellationToken).ConfigureAwait(false))
            .Where(c => c.DeviceId != _device.DeviceId).ToDictionary(c => c.DeviceId, StringComparer.Ordinal);
        List<string> targets;
        if (request.DeviceIds.Count == 0)
        {
            targets = [.. children.Values.Where(c => c.Mode == "orchestrated").Select(c => c.DeviceId)];
            if (targets.Count == 0)
            {
                return new FleetActionOutcome(null, 409, "no child is orchestrated by this agent yet: name the devices in deviceIds, or accept children's orchestration first");
            }
        }
        else
        {
            targets = [.. request.DeviceIds.Distinct(StringComparer.Ordinal)];
            foreach (var id in targets)
            {
                if (!children.TryGetValue(id, out var child))
                {
                    return new FleetActionOutcome(null, 404, id == _device.DeviceId
                        ? $"'{id}' is this agent itself: use its own API (/api/v2/...) to act on it"
                        : $"device '{id}' is not a child of this agent");
                }

                if (!child.IsManaged)
                {
                    return new FleetActionOutcome(null, 409, child.OrchestrateMe
                        ? $"device '{id}' asked to be orchestrated and waits for the operator's decision ({child.Orchestration ?? "pending"}): accept it first"
                        : $"device '{id}' does not take commands: set its orchestrateMe or reactiveMode");
                }
            }
        }

        if (request.Action == FleetAction.Push)
        {
            var entries = await _pushes.ResolveAsync(request.CatalogId!, cancellationToken).ConfigureAwait(false);
            if (entries is null)
            {
                return new FleetActionOutcome(null, 404,
                    $"release '{request.CatalogId}' is not known to this agent: it can push what it holds or was offered, or what a child was offered");
            }

            await _pushes.AddAsync(targets, request.CatalogId!, entries, cancellationToken).ConfigureAwait(false);
        }

        var now = _timeProvider.GetUtcNow();
        var expiresAt = now + (request.ExpiresIn ?? _options.DefaultExpiry);
        var (commands, full) = await _store.EnqueueAsync(targets, request.Action, request.CatalogId, now, expiresAt, cancellationToken).ConfigureAwait(false);
        if (commands is null)
        {
            return new FleetActionOutcome(null, 409,
                $"device(s) {string.Join(", ", full!.Select(d => $"'{d}'"))} already have {_options.MaxPendingPerDevice} commands waiting: cancel some, or let them expire");
        }

        LogQueued(FleetActions.NameOf(request.Action), request.CatalogId ?? "-", commands.Count, commands.Count(c => _channels.IsOnline(c.DeviceId)));
        foreach (var deviceId in targets)
        {
            CommandsChanged?.Invoke(deviceId);
            await DispatchAsync(deviceId, cancellationToken).ConfigureAwait(false);
        }

        // Read back: those sent meanwhile say so.
        var current = new List<FleetCommandDto>();
        foreach (var command in commands)
        {
            current.Add(FleetCommandDto.From(await _store.FindAsync(command.CommandId, cancellationToken).ConfigureAwait(false) ?? command));
        }

        return new FleetActionOutcome(new FleetActionAnswerDto(FleetActions.NameOf(request.Action), request.CatalogId, expiresAt, current));
    }

    /// <summary>
    /// Sends the device's deliverable commands down its open channel, in order, each once per connection. One sender per
    /// device at a time, so two actions given together cannot cross.
    /// </summary>
    /// <param name="child">The child as the caller just read it (spares a read), or null.</param>
    public async Task DispatchAsync(string deviceId, CancellationToken cancellationToken, ChildDevice? child = null)
    {
        var gate = _sending.GetOrAdd(deviceId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_channels.Find(deviceId) is not { } channel
                || (child ?? await _registry.FindAsync(deviceId, cancellationToken).ConfigureAwait(false)) is not { IsManaged: true })
            {
                return;
            }

            var now = _timeProvider.GetUtcNow();
            var sent = new List<long>();
            foreach (var command in await _store.DeliverableAsync(deviceId, now, cancellationToken).ConfigureAwait(false))
            {
                if (command.Seq <= channel.LastSentSeq)
                {
                    continue;
                }

                var dto = new ManagedCommandDto(command.CommandId, command.ActionName, command.CatalogId, command.CreatedAt, command.ExpiresAt);
                if (!channel.TryWrite(CommandFrame(command.CommandId, JsonSerializer.SerializeToUtf8Bytes(dto, FleetJson.Context.ManagedCommandDto))))
                {
                    break;
                }

                channel.LastSentSeq = command.Seq;
                sent.Add(command.Seq);
            }

            if (sent.Count > 0)
            {
                await _store.MarkSentAsync(sent, now, cancellationToken).ConfigureAwait(false);
                LogSent(sent.Count, deviceId, channel.Connection);
                CommandsChanged?.Invoke(deviceId);
            }
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>What the child reports about one of its commands; null when it has no command of that id.</summary>
    public async Task<FleetCommand?> ApplyResultAsync(string deviceId, string commandId, FleetCommandStatus status, string? message, CancellationToken cancellationToken)
    {
        var command = await _store.ApplyResultAsync(deviceId, commandId, status, message, _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (command is not null)
        {
            if (status is FleetCommandStatus.Refused or FleetCommandStatus.Failed)
            {
                LogRefused(commandId, command.ActionName, deviceId, FleetActions.NameOf(status), message ?? "");
            }

            CommandsChanged?.Invoke(deviceId);
        }

        return command;
    }

    /// <summary>The operator cancels a command not sent yet.</summary>
    public async Task<(FleetCommand? Command, bool Cancelled)> CancelAsync(string commandId, CancellationToken cancellationToken)
    {
        var result = await _store.CancelAsync(commandId, _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (result.Cancelled)
        {
            CommandsChanged?.Invoke(result.Command!.DeviceId);
        }

        return result;
    }

    /// <summary>Expires what waited too long; returns how many devices had commands expire.</summary>
    public async Task<int> ExpireAsync(CancellationToken cancellationToken)
    {
        var devices = await _store.ExpireAsync(_timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        foreach (var deviceId in devices)
        {
            LogExpired(deviceId);
            CommandsChanged?.Invoke(deviceId);
        }

        return devices.Count;
    }

    /// <summary>Forgets a child (its channel is closed).</summary>
    public async Task<bool> ForgetAsync(string deviceId, string reason, CancellationToken cancellationToken)
    {
        _channels.Close(deviceId, reason);
        var forgotten = await _registry.ForgetAsync(deviceId, cancellationToken).ConfigureAwait(false);
        if (forgotten)
        {
            LogForgotten(deviceId, reason);
        }

        _sending.TryRemove(deviceId, out _);
        return forgotten;
    }

    private async Task<OrchestrationDto> OrchestrationOfAsync(ChildDevice child, CancellationToken cancellationToken)
    {
        if (child.Orchestration != "accepted")
        {
            return new OrchestrationDto(child.Orchestration, null, null, null, null);
        }

        var own = await _device.GetEnrollmentAsync(cancellationToken).ConfigureAwait(false);
        return new OrchestrationDto("accepted", _device.DeviceId, _device.DeviceId, own.Platform, own.PlatformId);
    }

    private static byte[] CommandFrame(string commandId, byte[] json)
    {
        var id = Encoding.ASCII.GetBytes(commandId);
        var frame = new byte[CommandEvent.Length + id.Length + "\ndata: "u8.Length + json.Length + 2];
        var span = frame.AsSpan();
        CommandEvent.CopyTo(span);
        span = span[CommandEvent.Length..];
        id.CopyTo(span);
        span = span[id.Length..];
        "\ndata: "u8.CopyTo(span);
        span = span["\ndata: "u8.Length..];
        json.CopyTo(span);
        "\n\n"u8.CopyTo(span[json.Length..]);
        return frame;
    }

    private static byte[] Frame(byte[] head, byte[] json) => [.. head, .. json, (byte)'\n', (byte)'\n'];

    [LoggerMessage(EventId = 7010, Level = LogLevel.Information, Message = "Child {DeviceId} registered for fleet control (orchestrateMe {OrchestrateMe}, reactiveMode {ReactiveMode}, orchestration {Orchestration})")]
    private partial void LogRegistered(string deviceId, bool orchestrateMe, bool reactiveMode, string orchestration);

    [LoggerMessage(EventId = 7011, Level = LogLevel.Information, Message = "Orchestration of {DeviceId} {Decision} by the operator")]
    private partial void LogDecided(string deviceId, string decision);

    [LoggerMessage(EventId = 7012, Level = LogLevel.Information, Message = "Child {DeviceId} forgotten: {Reason}")]
    private partial void LogForgotten(string deviceId, string reason);

    [LoggerMessage(EventId = 7020, Level = LogLevel.Information, Message = "{Action} {CatalogId} queued for {Count} device(s), {Online} of them online")]
    private partial void LogQueued(string action, string catalogId, int count, int online);

    [LoggerMessage(EventId = 7021, Level = LogLevel.Debug, Message = "{Count} command(s) sent to {DeviceId} (connection {Connection})")]
    private partial void LogSent(int count, string deviceId, long connection);

    [LoggerMessage(EventId = 7022, Level = LogLevel.Warning, Message = "Command {CommandId} ({Action}) {Status} by {DeviceId}: {Message}")]
    private partial void LogRefused(string commandId, string action, string deviceId, string status, string message);

    [LoggerMessage(EventId = 7023, Level = LogLevel.Information, Message = "Commands for {DeviceId} expired before it came back")]
    private partial void LogExpired(string deviceId);
}
