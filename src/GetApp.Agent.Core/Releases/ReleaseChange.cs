namespace GetApp.Agent.Core.Releases;

/// <summary>
/// Optional field changes that go with a transition. Unset fields keep what the action implies
/// (see <see cref="ReleaseService"/>): a start clears the error, a completion sets progress to 100, and so on.
/// </summary>
public sealed record ReleaseChange
{
    public string? ErrMsg { get; init; }
    public double? Progress { get; init; }
    public long? Eta { get; init; }
    public int? DownloadDuration { get; init; }
    public string? ArtsDirPath { get; init; }

    /// <summary>
    /// The artifacts as delivered. A GetApp server names them only when a delivery is prepared (discovery carries none), and
    /// the deploy engine finds the installer, and every file name, from this list.
    /// </summary>
    public IReadOnlyList<Upstream.ArtifactSpec>? Artifacts { get; init; }
}
