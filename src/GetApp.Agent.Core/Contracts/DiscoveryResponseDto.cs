using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Contracts;

/// <summary>
/// The V2 discovery answer (<c>POST /api/v2/triggers/discover-component</c>): <see cref="Releases"/> is the one to use;
/// <see cref="Offer"/> and <see cref="Push"/> are GetApp's deprecated arrays, kept for older clients.
/// </summary>
public sealed record DiscoveryResponseDto(
    IReadOnlyList<JsonObject> Offer,
    IReadOnlyList<JsonObject> Push,
    IReadOnlyList<DiscoveredReleaseDto> Releases);

/// <summary>One offered release with the platform/device-type hierarchy it is offered under.</summary>
public sealed record DiscoveredReleaseDto(JsonObject Release, bool IsPush, JsonArray HierarchyTrees);
