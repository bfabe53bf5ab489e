using GetApp.Agent.Chaos.Harness;

namespace GetApp.Agent.Chaos.Scenarios;

public sealed class StormScenario : IScenario
{
    public string Name => "storm";

    public Task RunAsync(ChaosContext context) => Task.CompletedTask;
}
