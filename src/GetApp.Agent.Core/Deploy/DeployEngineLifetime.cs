using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// Re-evaluates installs left behind before the API answers, and stops running installers when the agent stops. It
/// takes the <see cref="AutoDeployTrigger"/> so that the trigger listens before any engine starts moving releases.
/// </summary>
public sealed class DeployEngineLifetime(DeployEngine engine, AutoDeployTrigger autoDeploy) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        GC.KeepAlive(autoDeploy);
        return engine.RecoverAsync(cancellationToken);
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
}
