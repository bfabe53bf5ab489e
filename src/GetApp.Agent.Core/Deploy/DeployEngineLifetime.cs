using GetApp.Agent.Core.Hosting;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Deploy;

/// <summary>
/// Re-evaluates installs and uninstalls left behind before the API answers (and auto-deploys that a stop interrupted), and stops
/// running installers when the agent stops. Taking the <see cref="AutoDeployTrigger"/> here also makes it listen
/// before any engine starts moving releases.
/// </summary>
public sealed class DeployEngineLifetime(DeployEngine engine, ReleaseUninstaller uninstaller, AutoDeployTrigger autoDeploy, IHostApplicationLifetime? lifetime = null)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await engine.RecoverAsync(cancellationToken).ConfigureAwait(false);
        await uninstaller.RecoverAsync(cancellationToken).ConfigureAwait(false);
        // Once the host has started: looking at the metadata of every delivered release must not hold up the API.
        engine.RunInBackground(async ct =>
        {
            if (lifetime is not null && !await HostStarted.WaitAsync(lifetime, ct).ConfigureAwait(false))
            {
                return;
            }

            await autoDeploy.ResumeAsync(ct).ConfigureAwait(false);
        });
    }

    public Task StopAsync(CancellationToken cancellationToken) => engine.StopAsync(cancellationToken);
}
