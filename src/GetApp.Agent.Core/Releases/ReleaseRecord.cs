using System.Diagnostics.CodeAnalysis;
using System.Text.Json;
using System.Text.Json.Nodes;
using GetApp.Agent.Core.Contracts;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Releases;

/// <summary>Everything the agent keeps about one release: what the upstream said about it and where it stands here.</summary>
/// <remarks>
/// A record read from the store carries the upstream's JSON as the UTF-8 the store holds and parses it on first use:
/// most readers only look at the position, so listing thousands of releases costs no JSON parse (see
/// <c>Storage/ReleaseRow</c>). Each read hands out its own instance, so parsing one never touches another reader's.
/// </remarks>
public sealed record ReleaseRecord
{
    private JsonObject? _release;
    private byte[]? _releaseJson;
    private IReadOnlyList<ArtifactSpec>? _artifacts;
    private byte[]? _artifactsJson;
    private JsonArray? _hierarchyTrees;
    private byte[]? _hierarchyJson;

    public ReleaseRecord()
    {
    }

    /// <summary>A record over stored JSON (UTF-8, as the store wrote it), parsed when a property asks for it.</summary>
#pragma warning disable CS8618 // Release is parsed from _releaseJson on first read.
    [SetsRequiredMembers]
    internal ReleaseRecord(string catalogId, byte[] releaseJson, byte[]? artifactsJson, byte[]? hierarchyJson, ReleasePosition position,
        DateTimeOffset discoveredAt, DateTimeOffset updatedAt)
    {
        CatalogId = catalogId;
        _releaseJson = releaseJson;
        _artifactsJson = artifactsJson;
        _hierarchyJson = hierarchyJson;
        Position = position;
        DiscoveredAt = discoveredAt;
        UpdatedAt = updatedAt;
    }
#pragma warning restore CS8618

    public required string CatalogId { get; init; }

    /// <summary>The upstream's release object, as received (its fields feed <c>ReleaseDto</c>).</summary>
    public required JsonObject Release
    {
        get => _release ??= JsonNode.Parse(_releaseJson ?? "{}"u8) as JsonObject ?? [];
        init
        {
            _release = value;
            _releaseJson = null;
        }
    }

    public required ReleasePosition Position { get; init; }
    public bool IsPush { get; init; }

    /// <summary>False once the upstream stopped offering it (kept only when it is already delivered or later).</summary>
    public bool Offered { get; init; } = true;

    public IReadOnlyList<ArtifactSpec> Artifacts
    {
        get => _artifacts ??= _artifactsJson is null ? [] : JsonSerializer.Deserialize(_artifactsJson, AgentJson.Context.IReadOnlyListArtifactSpec) ?? [];
        init
        {
            _artifacts = value;
            _artifactsJson = null;
        }
    }

    public JsonArray? HierarchyTrees
    {
        get => _hierarchyTrees ??= _hierarchyJson is null ? null : JsonNode.Parse(_hierarchyJson) as JsonArray;
        init
        {
            _hierarchyTrees = value;
            _hierarchyJson = null;
        }
    }

    /// <summary>Catalog ids this release directly depends on.</summary>
    public IReadOnlyList<string> Dependencies { get; init; } = [];

    public double? Progress { get; init; }
    public long? Eta { get; init; }
    public string? ErrMsg { get; init; }
    public int? DownloadDuration { get; init; }
    public string? ArtsDirPath { get; init; }
    public required DateTimeOffset DiscoveredAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }

    public ReleaseState State => Position.State;

    /// <summary>
    /// One top-level field of <see cref="Release"/>, read without parsing the whole object while nobody has (a fresh
    /// node: reading it never changes the record). For fields asked of every release, such as <c>metadata</c>.
    /// </summary>
    public JsonNode? ReleaseField(string name) =>
        _release is null && _releaseJson is { } stored ? JsonScan.Property(stored, name) : Release[name];

    /// <summary>The release object as stored: the bytes it was read from while nobody parsed it, else written anew.</summary>
    internal byte[] ReleaseJson => _releaseJson is { } stored && _release is null ? stored : StoredJson.Of(Release);

    internal byte[] ArtifactsJson => _artifactsJson is { } stored && _artifacts is null
        ? stored
        : JsonSerializer.SerializeToUtf8Bytes(Artifacts, AgentJson.Context.IReadOnlyListArtifactSpec);

    internal byte[]? HierarchyJson => _hierarchyJson is { } stored && _hierarchyTrees is null
        ? stored
        : HierarchyTrees is { } trees ? StoredJson.Of(trees) : null;
}
