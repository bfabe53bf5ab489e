using GetApp.Agent.Chaos.Harness;

namespace GetApp.Agent.Chaos.Scenarios;

public sealed class FaultMatrixScenario : IScenario
{
    public string Name => "faults";

    public Task RunAsync(ChaosContext context) => Task.CompletedTask;
}
