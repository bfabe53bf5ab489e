using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Upstream;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Discovery;

/// <summary>
/// Runs discovery when the agent starts and then every <c>discoveryPeriodicIntervalMin</c> (a live setting: a change
/// re-plans the next run at once). A failed discovery is retried sooner, with backoff from
/// <see cref="RetryMin"/> up to <see cref="RetryMax"/> (or the interval, if shorter), so an unreachable or refusing server is neither hammered nor forgotten.
/// </summary>
/// <remarks>
/// The first run waits until the host has started (<paramref name="lifetime"/>): reading a catalog of thousands of
/// releases then never competes with the start for the CPU, and the API answers first.
/// </remarks>
public sealed partial class DiscoveryScheduler(
    DiscoveryService discovery, LiveSettings settings, TimeProvider timeProvider, ILogger<DiscoveryScheduler> logger, IHostApplicationLifetime? lifetime = null)
    : BackgroundService
{
    public static readonly TimeSpan RetryMin = TimeSpan.FromSeconds(10);

    /// <summary>The longest wait after a failure, so a server that comes back is seen within minutes, not an hour.</summary>
    public static readonly TimeSpan RetryMax = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!await StartedAsync(stoppingToken).ConfigureAwait(false))
        {
            return;
        }

        var failures = 0;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await discovery.DiscoverAsync(stoppingToken).ConfigureAwait(false);
                failures = 0;
            }
            catch (UpstreamException)
            {
                // Already logged and kept as the last outcome; try again sooner than the interval.
                failures++;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A store or programming fault must not stop the host (a BackgroundService failure does): log, retry later.
                failures++;
                LogFailed(e);
            }

            if (!await WaitAsync(failures, stoppingToken).ConfigureAwait(false))
            {
                return;
            }
        }
    }

    /// <summary>Waits until the host has started (at once without a host); false when the agent stops first.</summary>
    private Task<bool> StartedAsync(CancellationToken stoppingToken) =>
        lifetime is null ? Task.FromResult(true) : HostStarted.WaitAsync(lifetime, stoppingToken);

    /// <summary>Waits until the next run is due; returns false when the agent stops.</summary>
    private async Task<bool> WaitAsync(int failures, CancellationToken stoppingToken)
    {
        var started = timeProvider.GetUtcNow();
        while (true)
        {
            var interval = TimeSpan.FromMinutes(Math.Max(1, settings.Current.DiscoveryPeriodicIntervalMin));
            var due = failures == 0 ? interval
                : TimeSpan.FromTicks(Math.Min(Math.Min(interval.Ticks, RetryMax.Ticks), RetryMin.Ticks * (1L << Math.Min(failures - 1, 16))));
            var left = started + due - timeProvider.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return true;
            }

            // A settings change cuts the wait short (the delay's timer is cancelled, not left behind) and re-plans.
            using var wake = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            void OnChanged(AgentSettings _)
            {
                try
                {
                    wake.Cancel();
                }
                catch (ObjectDisposedException)
                {
                    // The wait already ended.
                }
            }

            settings.Changed += OnChanged;
            try
            {
                await Task.Delay(left, timeProvider, wake.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopping, or the settings changed: decided below.
            }
            finally
            {
                settings.Changed -= OnChanged;
            }

            if (stoppingToken.IsCancellationRequested)
            {
                return false;
            }
        }
    }

    [LoggerMessage(EventId = 1202, Level = LogLevel.Error, Message = "Scheduled discovery failed unexpectedly; retrying later")]
    private partial void LogFailed(Exception exception);
}
