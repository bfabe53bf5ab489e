namespace GetApp.Agent.Chaos.Scenarios;

/// <summary>A scenario that cannot run here (e.g. no root to mount a small disk); the message says why.</summary>
public sealed class ScenarioSkippedException(string message) : Exception(message);
