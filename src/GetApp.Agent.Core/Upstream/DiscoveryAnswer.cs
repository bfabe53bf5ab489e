using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Upstream;

/// <summary>What an upstream offers this device (the server's <c>DeviceComponentsOfferingDto</c>).</summary>
public sealed record DiscoveryAnswer(
    IReadOnlyList<OfferedRelease> Releases,
    string? LatestConfigSemVer = null,
    JsonArray? Restrictions = null);
