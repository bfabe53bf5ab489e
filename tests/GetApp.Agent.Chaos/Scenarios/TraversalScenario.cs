using GetApp.Agent.Chaos.Harness;

namespace GetApp.Agent.Chaos.Scenarios;

public sealed class TraversalScenario : IScenario
{
    public string Name => "traversal";

    public Task RunAsync(ChaosContext context) => Task.CompletedTask;
}
