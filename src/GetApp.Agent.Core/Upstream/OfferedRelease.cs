using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Upstream;

/// <summary>
/// One entry of a discovery answer (the server's <c>ReleaseOfferingDto</c>), and of an offline <c>catalog.json</c>,
/// which adds the release's <see cref="Artifacts"/> inline. <see cref="Release"/> is kept as received so that fields
/// this agent does not know yet are passed through to its API unchanged.
/// </summary>
public sealed record OfferedRelease
{
    public JsonObject? Release { get; init; }
    public bool IsPush { get; init; }
    public IReadOnlyList<string>? DependedOnBy { get; init; }
    public JsonArray? HierarchyTrees { get; init; }
    public bool? Available { get; init; }
    public IReadOnlyList<ArtifactSpec>? Artifacts { get; init; }

    /// <summary>The release's catalog id (<c>release.id</c>), or null when missing or not a string.</summary>
    public string? CatalogId => Release?["id"] is JsonValue v && v.TryGetValue<string>(out var id) ? id : null;
}
