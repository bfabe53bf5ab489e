using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;

namespace GetApp.Agent.Core.Upstream;

/// <summary>
/// One entry of a discovery answer (the server's <c>ReleaseOfferingDto</c>), and of an offline <c>catalog.json</c>,
/// which adds the release's <see cref="Artifacts"/> inline. <see cref="Release"/> is kept as received so that fields
/// this agent does not know yet are passed through to its API unchanged.
/// </summary>
public sealed record OfferedRelease
{
    private readonly JsonObject? _release;
    private string? _catalogId;
    private bool _catalogIdRead;

    public JsonObject? Release
    {
        get => _release;
        init
        {
            _release = value;
            _catalogIdRead = false;
        }
    }

    public bool IsPush { get; init; }
    public IReadOnlyList<string>? DependedOnBy { get; init; }
    public JsonArray? HierarchyTrees { get; init; }
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
                _catalogId = _release is null ? null : JsonScan.String(JsonSerializer.SerializeToUtf8Bytes(_release, AgentJson.Context.JsonObject), "id");
                _catalogIdRead = true;
            }

            return _catalogId;
        }
    }

    /// <summary>A copy whose release object is read anew from its JSON, so that reading its fields leaves this one as it is.</summary>
    internal OfferedRelease Copy() =>
        _release is null ? this : this with { Release = JsonNode.Parse(JsonSerializer.SerializeToUtf8Bytes(_release, AgentJson.Context.JsonObject)) as JsonObject };
}
