using System.Text.Json.Nodes;

namespace GetApp.Agent.Core.Contracts;

/// <summary>GetApp's short <c>ReleaseDto</c>, embedded in <see cref="DeviceReleaseStatusDto"/>. Nullable fields are always written.</summary>
public sealed record ReleaseDto(
    DateTimeOffset CreatedAt,
    IReadOnlyList<string>? Dependencies,
    string? DisplayName,
    string Id,
    string? Label,
    bool? Latest,
    JsonObject? Metadata,
    JsonArray? Policies,
    int ProjectId,
    string ProjectName,
    string? ReleaseNotes,
    DateTimeOffset? ReleasedAt,
    long? Size,
    string Status,
    string Type,
    DateTimeOffset UpdatedAt,
    string Version);
