using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Upstream;

/// <summary>What the agent tells its upstream when it asks for offers: every release it holds and where it stands.</summary>
public sealed record DiscoveryRequest(IReadOnlyList<DeviceComponent> Components);

/// <summary>One release held by the device, as reported in discovery (<c>softwareData.components[]</c>).</summary>
public sealed record DeviceComponent(string CatalogId, ReleaseState State, string? Error);
