using System.Threading.Channels;
using GetApp.Agent.Core.Deploy;
using GetApp.Agent.Core.Discovery;
using GetApp.Agent.Core.Hosting;
using GetApp.Agent.Core.Releases;
using GetApp.Agent.Core.Settings;
using GetApp.Agent.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace GetApp.Agent.Core.Delivery;

/// <summary>
/// The delivery engine's front: the control actions of the API (start, pause, resume, cancel, delete), a queue served by
/// <c>maxParallelDeliveries</c> workers (re-read on every dispatch, so a settings change applies at once), automatic
/// delivery of pushed (and, with <c>deliveryAutoTrigger</c>, offered) releases, and recovery after a restart.
/// </summary>
/// <remarks>
/// Control actions run one at a time (<see cref="_control"/>), and so does the engine's own settling after a run ends
/// on its own: what a stopped run leaves behind is decided against a picture no other action is changing. Runs never
/// wait for that lock, so an action waiting for a run to let go cannot deadlock with it.
/// </remarks>
public sealed partial class DeliveryEngine(
    ReleaseService releases,
    DeliveryRunner runner,
    ArtifactDeliveryStore artifactStore,
    SpaceWaitStore spaceWaits,
    DataDirectory dataDirectory,
    LiveSettings settings,
    DiscoveryService discovery,
    DiskSpace space,
    DeliveryTelemetry telemetry,
    ReleaseGraphLock graphLock,
    TimeProvider timeProvider,
    ILogger<DeliveryEngine> logger) : BackgroundService
{
    private static readonly TimeSpan StopWait = TimeSpan.FromSeconds(30);

    private readonly Channel<string> _queue = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
    private readonly DeliveryRoster _roster = new();
    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly SemaphoreSlim _slotFreed = new(0);
    // The deliveries waiting for space (mirrors delivery_space_waits): bytes free each needs (null: the disk back), and
    // the order they started waiting in.
    private readonly Dictionary<string, (long? Needed, long Order)> _waitingForSpace = new(StringComparer.Ordinal);
    private long _waitOrder;
    private int _checkingSpace;
    private int _diskBack;
    private CancellationToken _stopping = CancellationToken.None;

    /// <summary><c>offering</c>/<c>push</c>/<c>deleted</c>, or <c>delivery</c> with Error/Cancel → <c>delivery</c>, and queued.</summary>
    public Task<MoveResult> StartDeliveryAsync(string catalogId, CancellationToken cancellationToken) =>
        UnderControlAsync(async () =>
        {
            var result = await releases.MoveAsync(catalogId, ReleaseAction.StartDelivery, null, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                // Forgotten before the run can start: a run that finds too little room records its wait anew.
                await ForgetSpaceWaitAsync(catalogId).ConfigureAwait(false);
                LogQueued(catalogId);
                Enqueue(catalogId);
            }

            return result;
        }, cancellationToken);

    /// <summary>Pauses the release, every release being delivered that needs it, and the runs delivering them; partial bytes stay on disk.</summary>
    public Task<MoveResult> PauseDeliveryAsync(string catalogId, CancellationToken cancellationToken) =>
        UnderControlAsync(() => StopDeliveryAsync(catalogId, ReleaseAction.PauseDelivery, DeliveryStopReason.Pause, cancellationToken), cancellationToken);

    public Task<MoveResult> ResumeDeliveryAsync(string catalogId, CancellationToken cancellationToken) =>
        UnderControlAsync(async () =>
        {
            var result = await releases.MoveAsync(catalogId, ReleaseAction.ResumeDelivery, null, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                Enqueue(catalogId);
            }

            return result;
        }, cancellationToken);

    /// <summary>Cancels the release, every release being delivered that needs it, and the runs delivering them; discards their partial bytes.</summary>
    public Task<MoveResult> CancelDeliveryAsync(string catalogId, CancellationToken cancellationToken) =>
        UnderControlAsync(() => StopDeliveryAsync(catalogId, ReleaseAction.CancelDelivery, DeliveryStopReason.Cancel, cancellationToken), cancellationToken);

    /// <summary>
    /// <c>downloaded</c>/<c>uninstalled</c> → <c>deleted</c>; its artifacts folder is removed. Refused (409) while an
    /// install that needs it (directly or not) is under way: its files are in use.
    /// </summary>
    public Task<MoveResult> DeleteDeliveryAsync(string catalogId, CancellationToken cancellationToken) =>
        UnderControlAsync(async () =>
        {
            using var held = await graphLock.EnterAsync(cancellationToken).ConfigureAwait(false);
            var all = await DependencyGraph.ByIdAsync(releases, cancellationToken).ConfigureAwait(false);
            if (all.TryGetValue(catalogId, out var release) && DependencyGraph.InstallingWith(catalogId, all) is { } root)
            {
                return MoveResult.NotAllowed(release, $"release '{catalogId}' is needed by '{root}', which is being installed; delete it once that install has ended");
            }

            var result = await releases.MoveAsync(catalogId, ReleaseAction.DeleteDelivery, null, cancellationToken).ConfigureAwait(false);
            if (result.Succeeded)
            {
                DeliveryRunner.DeleteQuietly(dataDirectory.ArtifactsDirOf(catalogId));
                await DiscardPartialsAsync(catalogId).ConfigureAwait(false);
                LogDeleted(catalogId);
            }

            return result;
        }, cancellationToken);

    /// <summary>Recovers after a restart (also after <c>kill -9</c>) before the API listens, then starts pushed releases.</summary>
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        // Positions only (the read model's rows): a device of thousands of releases is scanned without a record for each.
        var all = await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false);
        var active = all.Where(r => DeliveryClosure.IsActive(r.Position)).ToList();
        var dependencies = active.SelectMany(r => r.Dependencies).ToHashSet(StringComparer.Ordinal);
        foreach (var release in active.Where(r => !dependencies.Contains(r.CatalogId)))
        {
            LogResuming(release.CatalogId);
            Enqueue(release.CatalogId);
        }

        // A cancel interrupted by a crash still discards its bytes.
        foreach (var release in all.Where(r => r.Position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Cancel }))
        {
            await DiscardPartialsAsync(release.CatalogId).ConfigureAwait(false);
        }

        // Deliveries waiting for space before the restart still start again by themselves once there is room.
        foreach (var wait in await spaceWaits.ListAsync(cancellationToken).ConfigureAwait(false))
        {
            if (all.FirstOrDefault(r => r.CatalogId == wait.CatalogId)?.Position is { State: ReleaseState.Delivery, DeliveryStatus: DeliveryStatus.Error })
            {
                NoteSpaceWait(wait.CatalogId, wait.NeededBytes);
            }
            else
            {
                await spaceWaits.RemoveAsync(wait.CatalogId, cancellationToken).ConfigureAwait(false);
            }
        }

        discovery.Discovered += OnDiscovered;
        settings.Changed += OnSettingsChanged;
        space.Changed += OnSpaceChanged;
        await base.StartAsync(cancellationToken).ConfigureAwait(false);
        _ = WatchSpaceWaitsAsync(_stopping);

        await StartAutomaticAsync(cancellationToken).ConfigureAwait(false);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        discovery.Discovered -= OnDiscovered;
        settings.Changed -= OnSettingsChanged;
        space.Changed -= OnSpaceChanged;
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(_roster.Runs().Select(r => r.Completion)).WaitAsync(StopWait, CancellationToken.None)
            .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _stopping = stoppingToken;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stoppingToken).ConfigureAwait(false))
            {
                while (_roster.RunningCount >= settings.Current.MaxParallelDeliveries)
                {
                    await _slotFreed.WaitAsync(stoppingToken).ConfigureAwait(false);
                }

                if (!_queue.Reader.TryRead(out var catalogId))
                {
                    continue;
                }

                var run = _roster.Take(catalogId, () => new DeliveryRun(catalogId, stoppingToken), out var finishing);
                if (run is null)
                {
                    // The previous run of this release is still letting go (it just failed, or was paused): go again after it.
                    _ = finishing!.Completion.ContinueWith(_ => Requeue(catalogId), CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                    continue;
                }

                _ = Task.Run(() => RunAsync(run, stoppingToken), CancellationToken.None);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private async Task RunAsync(DeliveryRun run, CancellationToken stoppingToken)
    {
        try
        {
            await runner.RunAsync(run, stoppingToken).ConfigureAwait(false);
        }
#pragma warning disable CA1031 // One broken delivery must not stop the engine; it is logged and its root ends in Error.
        catch (Exception e)
#pragma warning restore CA1031
        {
            LogRunCrashed(run.RootId, e);
            telemetry.Failed(run.RootId, DeliveryFailureReason.Internal);
            run.Abandoned = $"internal error: {e.Message}";
        }
        finally
        {
            _roster.Ended(run);
            run.Dispose();
            _slotFreed.Release();
            run.Complete();
        }

        if (run.DiskFull)
        {
            NoteSpaceWait(run.RootId, run.SpaceNeeded);
        }

        // A run asked to stop is settled by whoever asked; one that ended on its own is settled here.
        if (run.StopReason == DeliveryStopReason.None && !stoppingToken.IsCancellationRequested)
        {
            await SettleAfterRunAsync(run).ConfigureAwait(false);
        }
    }

    private void Enqueue(string catalogId)
    {
        if (_roster.TryQueue(catalogId))
        {
            _queue.Writer.TryWrite(catalogId);
        }
    }

    private void Requeue(string catalogId)
    {
        if (_roster.Undefer(catalogId))
        {
            _queue.Writer.TryWrite(catalogId);
        }
    }

    private async Task<MoveResult> UnderControlAsync(Func<Task<MoveResult>> action, CancellationToken cancellationToken)
    {
        await _control.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await action().ConfigureAwait(false);
        }
        finally
        {
            _control.Release();
        }
    }

    private async Task DiscardPartialsAsync(string catalogId)
    {
        DeliveryRunner.DeleteQuietly(runner.PartialDirOf(catalogId));
        await artifactStore.DeleteAsync(catalogId, CancellationToken.None).ConfigureAwait(false);
        releases.Progress.Clear(catalogId);
    }

    private void OnDiscovered() => _ = StartAutomaticAsync(_stopping);

    private void OnSettingsChanged(AgentSettings current)
    {
        _slotFreed.Release();
        if (current.DeliveryAutoTrigger)
        {
            _ = StartAutomaticAsync(_stopping);
        }
    }

    /// <summary>Pushed releases are delivered without being asked; offered ones too with <c>deliveryAutoTrigger</c>.</summary>
    private async Task StartAutomaticAsync(CancellationToken cancellationToken)
    {
        try
        {
            var autoTrigger = settings.Current.DeliveryAutoTrigger;
            foreach (var release in await releases.SnapshotAsync(cancellationToken).ConfigureAwait(false))
            {
                if (release.State is ReleaseState.Push || (autoTrigger && release.State is ReleaseState.Offering))
                {
                    await StartDeliveryAsync(release.CatalogId, cancellationToken).ConfigureAwait(false);
                }
            }
        }
#pragma warning disable CA1031 // Fire-and-forget from an event: a failure is logged, the next discovery tries again.
        catch (Exception e) when (e is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogAutoStartFailed(e);
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(EventId = 2100, Level = LogLevel.Information, Message = "Delivery of {CatalogId} queued")]
    private partial void LogQueued(string catalogId);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Resuming the delivery of {CatalogId} after a restart")]
    private partial void LogResuming(string catalogId);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Information, Message = "Delivery of {CatalogId} cancelled; partial bytes discarded")]
    private partial void LogCancelled(string catalogId);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Delivered artifacts of {CatalogId} deleted")]
    private partial void LogDeleted(string catalogId);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Error, Message = "Delivery run of {CatalogId} crashed")]
    private partial void LogRunCrashed(string catalogId, Exception exception);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "Starting pushed deliveries failed")]
    private partial void LogAutoStartFailed(Exception exception);

    [LoggerMessage(EventId = 2052, Level = LogLevel.Information, Message = "Space is back: the delivery of {CatalogId} starts again from the bytes it kept")]
    private partial void LogRestartedAfterSpace(string catalogId);
}
