using GetApp.Agent.Chaos.Harness;

namespace GetApp.Agent.Chaos.Scenarios;

public sealed class FuzzScenario : IScenario
{
    public string Name => "fuzz";

    public Task RunAsync(ChaosContext context) => Task.CompletedTask;
}
