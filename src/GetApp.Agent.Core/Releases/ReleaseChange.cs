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
}
