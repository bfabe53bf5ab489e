using GetApp.Agent.Core.Parent;
using GetApp.Agent.Core.Settings;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Fleet;

/// <summary>
/// The parent's housekeeping (docs/fleet.md), every <see cref="FleetOptions.SweepInterval"/>: commands whose expiry
/// passed are marked expired; children not heard from for <c>cdnForgetAfterDays</c> (and not online) are forgotten;
/// finished commands beyond their retention are dropped.
/// </summary>
public sealed partial class FleetJanitor(
    FleetDispatcher dispatcher,
    FleetCommandStore store,
    ChildRegistry registry,
    ManagedChannels channels,
    LiveSettings settings,
    FleetOptions options,
    TimeProvider timeProvider,
    ILogger<FleetJanitor> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // The first sweep one interval after the start, not during it (nothing expired is ever sent meanwhile).
        using var timer = new PeriodicTimer(options.SweepInterval, timeProvider);
        while (await WaitAsync(timer, stoppingToken).ConfigureAwait(false))
        {
            try
            {
                await SweepAsync(stoppingToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is Microsoft.Data.Sqlite.SqliteException or IOException)
            {
                LogFailed(e.Message);
            }
        }
    }

    internal async Task SweepAsync(CancellationToken cancellationToken)
    {
        await dispatcher.ExpireAsync(cancellationToken).ConfigureAwait(false);
        var cutoff = timeProvider.GetUtcNow() - TimeSpan.FromDays(settings.Current.CdnForgetAfterDays);
        foreach (var deviceId in await registry.SilentSinceAsync(cutoff, cancellationToken).ConfigureAwait(false))
        {
            if (!channels.IsOnline(deviceId))
            {
                await dispatcher.ForgetAsync(deviceId, $"not heard from for {settings.Current.CdnForgetAfterDays} days (cdnForgetAfterDays)", cancellationToken).ConfigureAwait(false);
            }
        }

        await store.PruneAsync(timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken cancellationToken)
    {
        try
        {
            return await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(EventId = 7031, Level = LogLevel.Warning, Message = "Fleet housekeeping failed (tried again later): {Reason}")]
    private partial void LogFailed(string reason);
}
