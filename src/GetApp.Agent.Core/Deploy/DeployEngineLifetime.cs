using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Deploy;

/// <summary>Re-evaluates installs left behind before the API answers, and stops running installers when the agent stops.</summary>
public sealed class DeployEngineLifetime(DeployEngine engine) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => engine.RecoverAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
}
