using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Storage;

namespace GetApp.Agent.Core.Upstream;

/// <summary>What the agent tells its upstream when it asks for offers: every release it holds and where it stands.</summary>
public sealed record DiscoveryRequest(IReadOnlyList<DeviceComponent> Components)
{
    /// <summary>
    /// The rows the device stores, for an upstream that reads a large answer itself (the offline catalog): an offer equal
    /// to its stored row can share the row's JSON rather than hold a copy.
    /// </summary>
    internal ReleaseSnapshot? Stored { get; init; }
}

/// <summary>One release held by the device, as reported in discovery (<c>softwareData.components[]</c>).</summary>
public sealed record DeviceComponent(string CatalogId, ReleaseState State, string? Error);
