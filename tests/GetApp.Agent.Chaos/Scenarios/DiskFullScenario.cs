using GetApp.Agent.Chaos.Harness;

namespace GetApp.Agent.Chaos.Scenarios;

public sealed class DiskFullScenario : IScenario
{
    public string Name => "disk";

    public Task RunAsync(ChaosContext context) => Task.CompletedTask;
}
