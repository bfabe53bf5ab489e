using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Hosting;

namespace GetApp.Agent.Core.Discovery;

/// <summary>Runs discovery when the agent starts and then every <see cref="AgentOptions.DiscoveryInterval"/>.</summary>
public sealed class DiscoveryScheduler(DiscoveryService discovery, AgentOptions options, TimeProvider timeProvider) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await discovery.DiscoverAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (UpstreamException)
            {
                // Already logged and kept as the last outcome; try again at the next tick.
            }

            await Task.Delay(options.DiscoveryInterval, timeProvider, stoppingToken).ConfigureAwait(false);
        }
    }
}
