namespace GetApp.Agent.Core.Releases;

/// <summary>A committed move of a release: where it was, where it is, and what moved it.</summary>
public sealed record ReleaseMoved(ReleaseRecord Before, ReleaseRecord After, ReleaseAction Action);
