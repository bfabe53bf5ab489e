namespace GetApp.Agent.Core.Releases;

/// <summary>The outcome of asking a release to move: the release as it now is, or why it did not move.</summary>
public readonly record struct MoveResult(MoveOutcome Outcome, ReleaseRecord? Release, string Message)
{
    public bool Succeeded => Outcome == MoveOutcome.Moved;

    public static MoveResult Moved(ReleaseRecord release) => new(MoveOutcome.Moved, release, "");
    public static MoveResult NotFound(string catalogId) => new(MoveOutcome.NotFound, null, $"release '{catalogId}' is not known to this device");
    public static MoveResult NotAllowed(ReleaseRecord release, string message) => new(MoveOutcome.NotAllowed, release, message);
}

public enum MoveOutcome
{
    Moved,
    NotFound,
    NotAllowed,
}
