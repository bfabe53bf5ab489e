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
/// A catalog of thousands of releases is held as JSON, not as trees of nodes or objects: a <see cref="Compacted"/> entry
/// (and every entry the offline catalog's reader gives) keeps its release, hierarchy and artifacts as the UTF-8 the
/// store writes, and parses them only if someone reads them.
/// </remarks>
public sealed record OfferedRelease
{
    private JsonObject? _release;
    private byte[]? _releaseJson;
    private JsonArray? _hierarchyTrees;
    private byte[]? _hierarchyJson;
    private IReadOnlyList<ArtifactSpec>? _artifacts;
    private byte[]? _artifactsJson;
    private byte[]? _artifactsAtRestJson;
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

    public IReadOnlyList<ArtifactSpec>? Artifacts
    {
        get => _artifacts ??= _artifactsJson is null ? null : JsonSerializer.Deserialize(_artifactsJson, AgentJson.Context.IReadOnlyListArtifactSpec);
        init
        {
            _artifacts = value;
            _artifactsJson = null;
            _artifactsAtRestJson = null;
        }
    }

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

    /// <summary>The artifacts as the store keeps them: each <see cref="ArtifactSpec.AtRest"/>, none when there are none.</summary>
    internal byte[] StoredArtifactsJson() => _artifacts is null && _artifactsAtRestJson is { } stored ? stored : AtRestJson(Artifacts);

    /// <summary>
    /// An entry over JSON already in the store's format (the offline catalog's reader writes it so). The artifacts' JSON
    /// is the list serialised as read, and its stored form with each URL masked (the same array when masking changes nothing).
    /// </summary>
    internal static OfferedRelease OfStoredJson(string catalogId, byte[] releaseJson, byte[]? hierarchyJson, byte[]? artifactsJson, byte[]? artifactsAtRestJson,
        bool isPush, IReadOnlyList<string>? dependedOnBy, bool? available) => new()
        {
            IsPush = isPush,
            DependedOnBy = dependedOnBy,
            Available = available,
            _releaseJson = releaseJson,
            _hierarchyJson = hierarchyJson,
            _artifactsJson = artifactsJson,
            _artifactsAtRestJson = artifactsAtRestJson,
            _catalogId = catalogId,
            _catalogIdRead = true,
        };

    /// <summary>This entry holding its release, hierarchy and artifacts as JSON (about their size in memory) rather than as objects.</summary>
    internal OfferedRelease Compacted()
    {
        var artifacts = Artifacts;
        var artifactsJson = artifacts is null ? null : JsonSerializer.SerializeToUtf8Bytes(artifacts, AgentJson.Context.IReadOnlyListArtifactSpec);
        var atRest = artifacts is null ? null : artifacts.All(a => a is null || SafeUrl.Masked(a.Url) == a.Url) ? artifactsJson : AtRestJson(artifacts);
        return OfStoredJson(CatalogId!, StoredReleaseJson()!, StoredHierarchyJson(), artifactsJson, atRest, IsPush, DependedOnBy, Available);
    }

    private static byte[] AtRestJson(IReadOnlyList<ArtifactSpec>? artifacts) =>
        JsonSerializer.SerializeToUtf8Bytes(artifacts is null ? [] : [.. artifacts.Select(a => a.AtRest())], AgentJson.Context.IReadOnlyListArtifactSpec);
}
