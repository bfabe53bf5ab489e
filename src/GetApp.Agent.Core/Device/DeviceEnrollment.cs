namespace GetApp.Agent.Core.Device;

/// <summary>
/// The device's enrollment (GetApp Agent API V9/V10): how it identifies itself to the server. <see cref="OrchestratedBy"/>,
/// <see cref="OrchestratorId"/> and <see cref="DeliverySource"/> are read-only here.
/// </summary>
public sealed record DeviceEnrollment
{
    public required string DeviceId { get; init; }
    public required IReadOnlyList<string> DeviceType { get; init; }
    public required string Platform { get; init; }
    public required string PlatformId { get; init; }
    public required IReadOnlyList<string> UrlGetAppServerAvailable { get; init; }
    public string UrlNetworkAvailability { get; init; } = "";
    public bool OrchestrateMe { get; init; }
    public bool ReactiveMode { get; init; }
    public string? OrchestratedBy { get; init; }
    public string? OrchestratorId { get; init; }
    public string DeliverySource { get; init; } = "cache";
}
