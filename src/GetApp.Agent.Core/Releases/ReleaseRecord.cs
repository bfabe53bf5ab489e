using System.Text.Json.Nodes;
using GetApp.Agent.Core.Upstream;

namespace GetApp.Agent.Core.Releases;

/// <summary>Everything the agent keeps about one release: what the upstream said about it and where it stands here.</summary>
public sealed record ReleaseRecord
{
    public required string CatalogId { get; init; }

    /// <summary>The upstream's release object, as received (its fields feed <c>ReleaseDto</c>).</summary>
    public required JsonObject Release { get; init; }

    public required ReleasePosition Position { get; init; }
    public bool IsPush { get; init; }

    /// <summary>False once the upstream stopped offering it (kept only when it is already delivered or later).</summary>
    public bool Offered { get; init; } = true;

    public IReadOnlyList<ArtifactSpec> Artifacts { get; init; } = [];
    public JsonArray? HierarchyTrees { get; init; }

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
}
