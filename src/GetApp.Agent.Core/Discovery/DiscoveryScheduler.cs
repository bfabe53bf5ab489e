using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Discovery;

/// <summary>
/// Runs discovery when the agent starts and then every <see cref="AgentOptions.DiscoveryInterval"/>. A failed round
/// never stops the agent: it is logged and the next round comes at the next tick.
/// </summary>
public sealed partial class DiscoveryScheduler(
    DiscoveryService discovery,
    AgentOptions options,
    TimeProvider timeProvider,
    ILogger<DiscoveryScheduler> logger) : BackgroundService
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
                // Already logged and kept as the last outcome by the service.
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogRoundFailed(e);
            }

            await Task.Delay(options.DiscoveryInterval, timeProvider, stoppingToken).ConfigureAwait(false);
        }
    }

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Discovery round failed unexpectedly; retrying at the next interval")]
    private partial void LogRoundFailed(Exception exception);
}
