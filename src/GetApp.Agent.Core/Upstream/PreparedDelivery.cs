namespace GetApp.Agent.Core.Upstream;

/// <summary>The answer to "prepare this release for delivery": where each artifact can be fetched from.</summary>
public sealed record PreparedDelivery(PrepareStatus Status, IReadOnlyList<PreparedArtifact> Artifacts, string? Error = null);

/// <summary>The server's <c>PrepareStatusEnum</c>, reduced to what the agent acts on.</summary>
public enum PrepareStatus
{
    /// <summary>The upstream is still preparing (<c>start</c>, <c>inProgress</c>, <c>pending</c>): ask again later.</summary>
    Pending,
    Done,
    Error,
}

/// <summary>
/// An artifact and the place to fetch it from. <see cref="Source"/> is <c>http(s)</c>, or <c>file</c> only when the
/// upstream is a local catalog that has already checked the path stays inside its folder; it is then the file's real
/// path (every link followed), and the downloader refuses a file that no longer opens as that path.
/// </summary>
public sealed record PreparedArtifact(ArtifactSpec Spec, Uri Source);
