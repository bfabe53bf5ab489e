namespace GetApp.Agent.Hosting;

/// <summary>What was allowed at start but is probably not what the operator meant; logged once, before the agent listens.</summary>
internal sealed record StartupWarnings(IReadOnlyList<string> Messages);
