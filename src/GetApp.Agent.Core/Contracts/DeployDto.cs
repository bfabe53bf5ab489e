using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// GetApp's <c>DeployDto</c>: the deploy record of a release (answer of <c>GET</c>/<c>PUT /api/v2/deploy/{catalog_id}</c>,
/// deploy start and uninstall). <see cref="PostInstallAction"/> and <see cref="LogPath"/> are this agent's additions.
/// </summary>
public sealed record DeployDto(
    string CatalogId,
    DateTimeOffset? CompletedAt,
    DateTimeOffset? CurrentTime,
    string DeviceId,
    long? Eta,
    string? MessageLog,
    int? Progress,
    DeploymentStatus? RequestedStatus,
    DateTimeOffset? StartedAt,
    DeploymentStatus? Status,
    DateTimeOffset? StoppedAt,
    string Type,
    JsonObject? PostInstallAction,
    string? LogPath);
