using System.Text.Json.Nodes;
using GetApp.Agent.Core.Releases;

namespace GetApp.Agent.Core.Contracts;

/// <summary>One release of <c>GET /api/v2/device/offering</c>: offered or pushed, not delivered yet.</summary>
public sealed record OfferingItemDto(JsonObject Release, bool IsPush, ReleaseState State, IReadOnlyList<string> Dependencies);
