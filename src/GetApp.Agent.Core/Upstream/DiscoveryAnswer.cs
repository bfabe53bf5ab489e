using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Upstream;

/// <summary>What an upstream offers this device (the server's <c>DeviceComponentsOfferingDto</c>).</summary>
public sealed record DiscoveryAnswer(
    IReadOnlyList<OfferedRelease> Releases,
    string? LatestConfigSemVer = null,
    JsonArray? Restrictions = null)
{
    /// <summary>
    /// True when the upstream already checked what discovery checks of any answer (well-formed ids, each once, no
    /// dependency cycle): the offline catalog's reader refuses a catalog that fails them.
    /// </summary>
    internal bool Checked { get; init; }
}
