using GetApp.Agent.Chaos.Harness;

namespace GetApp.Agent.Chaos.Scenarios;

/// <summary>One part of the suite. It records what it finds in the context's figures; an exception is a violation too.</summary>
public interface IScenario
{
    string Name { get; }

    Task RunAsync(ChaosContext context);
}
