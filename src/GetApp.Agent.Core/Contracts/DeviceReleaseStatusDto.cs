using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// The answer of <c>GET /api/v2/device/releases/{catalog_id}</c> (the newer nested form). <see cref="DeviceReleaseStatus"/>
/// holds a <c>DeliveryStatusEnum</c> value up to <c>downloaded</c> and a <c>DeploymentStatus</c> from <c>deploy</c> on.
/// </summary>
public sealed record DeviceReleaseStatusDto(
    string? ArtsDirPath,
    DeliveryState? DeliveryState,
    string? DeviceReleaseStatus,
    int? DownloadDuration,
    string? ErrMsg,
    long? Eta,
    double? Progress,
    ReleaseDto Release,
    ReleaseState State);
