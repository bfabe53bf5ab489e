using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Storage;

/// <summary>
/// Makes the space reserve once started (in the background: the API does not wait for it) and watches the data dir's disk: every second while it is full (so the agent comes
/// back by itself as soon as space is freed), every two seconds otherwise (a statvfs: nothing), so a disk someone else
/// filled is seen before the agent's next write needs the room. Logs each change once.
/// </summary>
public sealed partial class DiskSpaceMonitor(DiskSpace space, TimeProvider timeProvider, ILogger<DiskSpaceMonitor> logger) : BackgroundService
{
    private static readonly TimeSpan WhileFull = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan WhileFine = TimeSpan.FromSeconds(2);

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        space.Changed += OnChanged;
        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        space.Changed -= OnChanged;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            // The first look (which may write the 8 MiB reserve) runs beside the start, not before the API answers.
            await Task.Yield();
            while (!stoppingToken.IsCancellationRequested)
            {
                space.Check();
                await Task.Delay(space.IsFull ? WhileFull : WhileFine, timeProvider, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void OnChanged(bool full)
    {
        if (full)
        {
            LogFull(space.Available());
        }
        else
        {
            LogSpaceBack(space.Available());
        }
    }

    [LoggerMessage(EventId = 1050, Level = LogLevel.Error,
        Message = "The data dir's disk is full ({Available} bytes free): the space reserve was given back so failures can still be recorded; changes are refused with 507 until space is freed")]
    private partial void LogFull(long available);

    [LoggerMessage(EventId = 1051, Level = LogLevel.Information, Message = "Space is back on the data dir's disk ({Available} bytes free): the reserve is made again and changes are accepted")]
    private partial void LogSpaceBack(long available);
}
