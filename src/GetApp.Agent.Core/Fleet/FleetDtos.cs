using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Fleet;

// The wire shapes of fleet control (docs/fleet.md): the operator's routes, the child's registration and results, and the
// frames of the command channel.

/// <summary>One command as the operator sees it.</summary>
public sealed record FleetCommandDto(
    string CommandId,
    string DeviceId,
    string Action,
    string? CatalogId,
    string Status,
    string? Message,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    DateTimeOffset? SentAt,
    int Sends,
    DateTimeOffset UpdatedAt)
{
    public static FleetCommandDto From(FleetCommand command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return new(command.CommandId, command.DeviceId, command.ActionName, command.CatalogId, FleetActions.NameOf(command.Status),
            command.Message, command.CreatedAt, command.ExpiresAt, command.SentAt, command.Sends, command.UpdatedAt);
    }
}

/// <summary>The answer to <c>POST /api/cdn/devices/action</c>: one command per device, each sent at once or waiting for its device.</summary>
public sealed record FleetActionAnswerDto(string Action, string? CatalogId, DateTimeOffset ExpiresAt, IReadOnlyList<FleetCommandDto> Commands);

/// <summary>
/// How a child stands with this parent: the answer to its registration, and the first frame (<c>hello</c>) of its
/// channel. <see cref="Managed"/>: it takes commands; <see cref="Orchestration"/>: the operator's decision, with what an
/// accepted child adopts.
/// </summary>
public sealed record ManagedStateDto(string DeviceId, string ParentId, string Mode, bool Managed, OrchestrationDto Orchestration, long PingIntervalMs);

/// <summary>
/// The operator's decision on a child's orchestration (<c>pending</c>, <c>accepted</c>, <c>refused</c>, null: not asked);
/// when accepted, who orchestrates it and the platform it joins. Sent again as an <c>orchestration</c> frame when it changes.
/// </summary>
public sealed record OrchestrationDto(string? Status, string? OrchestratedBy, string? OrchestratorId, string? Platform, string? PlatformId);

/// <summary>A <c>command</c> frame of the channel.</summary>
public sealed record ManagedCommandDto(string CommandId, string Action, string? CatalogId, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

/// <summary>One child in the fleet view (<c>GET /api/cdn/fleet</c>, the <c>fleet</c> event stream); <see cref="Removed"/> when it was forgotten.</summary>
public sealed record FleetDeviceDto(
    string DeviceId,
    bool Removed,
    CdnDeviceDto? Device,
    IReadOnlyList<DeviceReleaseStatusDto> Releases,
    IReadOnlyList<CdnTransferDto> Transfers,
    IReadOnlyList<FleetCommandDto> Commands);

/// <summary>
/// <c>GET /api/v2/agent/managed</c>, on a child: its fleet flags, how its link to its parent stands (<c>off</c>,
/// <c>connecting</c>, <c>connected</c>, <c>waiting</c> after a failure, <c>refused</c> by the parent), its standing, and
/// the latest commands it received.
/// </summary>
public sealed record ManagedStatusDto(
    bool OrchestrateMe,
    bool ReactiveMode,
    string State,
    string? ParentId,
    string? ParentUrl,
    string? Mode,
    OrchestrationDto? Orchestration,
    DateTimeOffset? ConnectedAt,
    string? LastError,
    IReadOnlyList<ManagedCommandEntryDto> Commands);

/// <summary>One command a child received, as it records it.</summary>
public sealed record ManagedCommandEntryDto(
    string CommandId,
    string ParentId,
    string Action,
    string? CatalogId,
    string Status,
    string? Message,
    string? Reported,
    DateTimeOffset ReceivedAt,
    DateTimeOffset UpdatedAt)
{
    public static ManagedCommandEntryDto From(ManagedCommandEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        return new(entry.CommandId, entry.ParentId, entry.ActionName, entry.CatalogId, FleetActions.NameOf(entry.Status), entry.Message,
            entry.Reported is { } r ? FleetActions.NameOf(r) : null, entry.ReceivedAt, entry.UpdatedAt);
    }
}
