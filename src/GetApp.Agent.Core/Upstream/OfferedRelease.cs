using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Upstream;

/// <summary>
/// One entry of a discovery answer (the server's <c>ReleaseOfferingDto</c>), and of an offline <c>catalog.json</c>,
/// which adds the release's <see cref="Artifacts"/> inline. <see cref="Release"/> is kept as received so that fields
/// this agent does not know yet are passed through to its API unchanged.
/// </summary>
/// <remarks>
/// A catalog of thousands of releases is held as JSON, not as trees of nodes: a <see cref="Compacted"/> entry keeps its
/// release and hierarchy as the UTF-8 the store writes, and parses them only if someone reads them.
/// </remarks>
public sealed record OfferedRelease
{
    private JsonObject? _release;
    private byte[]? _releaseJson;
    private JsonArray? _hierarchyTrees;
    private byte[]? _hierarchyJson;
    private string? _catalogId;
    private bool _catalogIdRead;

    public JsonObject? Release
    {
        get => _release ??= _releaseJson is null ? null : JsonNode.Parse(_releaseJson) as JsonObject;
        init
        {
            _release = value;
            _releaseJson = null;
            _catalogIdRead = false;
        }
    }

    public bool IsPush { get; init; }
    public IReadOnlyList<string>? DependedOnBy { get; init; }

    public JsonArray? HierarchyTrees
    {
        get => _hierarchyTrees ??= _hierarchyJson is null ? null : JsonNode.Parse(_hierarchyJson) as JsonArray;
        init
        {
            _hierarchyTrees = value;
            _hierarchyJson = null;
        }
    }

    public bool? Available { get; init; }
    public IReadOnlyList<ArtifactSpec>? Artifacts { get; init; }

    /// <summary>The release's catalog id (<c>release.id</c>), or null when missing or not a string.</summary>
    /// <remarks>
    /// Read once, from the object's JSON: looking a property up in a <see cref="JsonObject"/> builds every property of
    /// it, which for an answer of thousands of releases would hold a tree per release where their JSON is enough.
    /// </remarks>
    public string? CatalogId
    {
        get
        {
            if (!_catalogIdRead)
            {
                _catalogId = StoredReleaseJson() is { } json ? JsonScan.String(json, "id") : null;
                _catalogIdRead = true;
            }

            return _catalogId;
        }
    }

    /// <summary>The release object in the store's format (<see cref="StoredJson"/>), or null when there is none.</summary>
    internal byte[]? StoredReleaseJson() => _release is null ? _releaseJson : StoredJson.Of(_release);

    /// <summary>The hierarchy trees in the store's format, or null when there are none.</summary>
    internal byte[]? StoredHierarchyJson() => _hierarchyTrees is null ? _hierarchyJson : StoredJson.Of(_hierarchyTrees);

    /// <summary>This entry holding its release and hierarchy as JSON (about their size in memory) rather than as nodes.</summary>
    internal OfferedRelease Compacted()
    {
        var id = CatalogId;
        return new OfferedRelease
        {
            IsPush = IsPush,
            DependedOnBy = DependedOnBy,
            Available = Available,
            Artifacts = Artifacts,
            _releaseJson = StoredReleaseJson(),
            _hierarchyJson = StoredHierarchyJson(),
            _catalogId = id,
            _catalogIdRead = true,
        };
    }
}
